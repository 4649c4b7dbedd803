package dev.koder.training.sqlite;

import dev.koder.training.spi.CheckpointStore;
import dev.koder.training.spi.CheckpointStoreProvider;
import dev.koder.training.spi.PluginConfig;

/** The default store of the checkpoint registry: the home's {@code training.db}. */
public final class SqliteCheckpointsProvider implements CheckpointStoreProvider {

    @Override
    public String name() {
        return "sqlite";
    }

    @Override
    public int priority() {
        return -100;
    }

    @Override
    public CheckpointStore create(PluginConfig config) {
        return SqliteCheckpoints.open(config.home().resolve(SqliteJobStoreProvider.FILE));
    }
}
