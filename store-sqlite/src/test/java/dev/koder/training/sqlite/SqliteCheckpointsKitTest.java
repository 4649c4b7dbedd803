package dev.koder.training.sqlite;

import dev.koder.training.spi.CheckpointStore;
import dev.koder.training.tck.CheckpointStoreCompatibilityKit;
import java.nio.file.Path;

/** The embedded registry store against the kit. */
class SqliteCheckpointsKitTest extends CheckpointStoreCompatibilityKit {

    @Override
    protected CheckpointStore openStore(Path dir) {
        return SqliteCheckpoints.open(dir.resolve(SqliteJobStoreProvider.FILE));
    }
}
