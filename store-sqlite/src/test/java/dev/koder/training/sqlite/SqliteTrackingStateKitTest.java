package dev.koder.training.sqlite;

import dev.koder.training.spi.TrackingStateStore;
import dev.koder.training.tck.TrackingStateStoreCompatibilityKit;
import java.nio.file.Path;

/** The embedded TrackingStateStore against the kit. */
class SqliteTrackingStateKitTest extends TrackingStateStoreCompatibilityKit {

    @Override
    protected TrackingStateStore openStore(Path dir) {
        return SqliteTrackingState.open(dir.resolve(SqliteJobStoreProvider.FILE));
    }
}
