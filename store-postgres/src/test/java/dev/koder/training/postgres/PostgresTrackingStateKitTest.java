package dev.koder.training.postgres;

import dev.koder.training.spi.TrackingStateStore;
import dev.koder.training.tck.TrackingStateStoreCompatibilityKit;
import java.nio.file.Path;

/**
 * The TrackingStateStore kit against a real PostgreSQL server: the store objects of a test stand for instances, each
 * change on a connection of its own.
 */
class PostgresTrackingStateKitTest extends TrackingStateStoreCompatibilityKit {

    @Override
    protected TrackingStateStore openStore(Path dir) {
        return PostgresTrackingState.open(PostgresServer.get().settings(dir));
    }
}
