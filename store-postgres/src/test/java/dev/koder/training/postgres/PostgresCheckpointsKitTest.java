package dev.koder.training.postgres;

import dev.koder.training.spi.CheckpointStore;
import dev.koder.training.tck.CheckpointStoreCompatibilityKit;
import java.nio.file.Path;

/**
 * The registry store kit against a real PostgreSQL server: the store objects of a test stand for instances, each
 * change on a connection of its own.
 */
class PostgresCheckpointsKitTest extends CheckpointStoreCompatibilityKit {

    @Override
    protected CheckpointStore openStore(Path dir) {
        return PostgresCheckpoints.open(PostgresServer.get().settings(dir));
    }
}
