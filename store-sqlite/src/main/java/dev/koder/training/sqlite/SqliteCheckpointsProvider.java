package dev.koder.training.sqlite;

import dev.koder.training.spi.CheckpointStore;
import dev.koder.training.spi.CheckpointStoreProvider;
import dev.koder.training.spi.PluginConfig;
import java.nio.file.Path;

/** The default store of the checkpoint registry: the home's {@code training.db}. */
public final class SqliteCheckpointsProvider extends SqlitePart<CheckpointStore> implements CheckpointStoreProvider {

    @Override
    CheckpointStore open(Path file, PluginConfig config) {
        return SqliteCheckpoints.open(file);
    }
}
