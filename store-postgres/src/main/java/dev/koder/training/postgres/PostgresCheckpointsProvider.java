package dev.koder.training.postgres;

import dev.koder.training.spi.CheckpointStore;
import dev.koder.training.spi.CheckpointStoreProvider;
import dev.koder.training.spi.PluginConfig;

/**
 * The checkpoint registry's records in PostgreSQL, chosen with {@code training.store=postgres} (or
 * {@code training.checkpoints=postgres}). Ranked below the embedded store.
 */
public final class PostgresCheckpointsProvider extends PostgresPart<CheckpointStore> implements CheckpointStoreProvider {

    @Override
    CheckpointStore open(PostgresSettings settings, PluginConfig config) {
        return PostgresCheckpoints.open(settings);
    }
}
