package dev.koder.training.postgres;

import dev.koder.training.spi.CheckpointStore;
import dev.koder.training.spi.CheckpointStoreProvider;
import dev.koder.training.spi.PluginConfig;

/**
 * The checkpoint registry's records in PostgreSQL, chosen with {@code training.store=postgres} (or
 * {@code training.checkpoints=postgres}). Ranked below the embedded store.
 */
public final class PostgresCheckpointsProvider implements CheckpointStoreProvider {

    @Override
    public String name() {
        return "postgres";
    }

    @Override
    public int priority() {
        return -200;
    }

    @Override
    public CheckpointStore create(PluginConfig config) {
        return PostgresCheckpoints.open(PostgresSettings.from(config, System.getenv()));
    }
}
