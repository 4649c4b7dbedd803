package dev.koder.training.postgres;

import dev.koder.training.spi.CheckpointStore;
import dev.koder.training.tck.CheckpointStoreCompatibilityKit;
import java.nio.file.Path;

/** The registry store kit against a real PostgreSQL server, each store with a pool of its own, as instances have. */
class PostgresCheckpointsKitTest extends CheckpointStoreCompatibilityKit {

    @Override
    protected CheckpointStore openStore(Path dir) {
        return PostgresCheckpoints.open(PostgresServer.get().settings(dir));
    }
}
