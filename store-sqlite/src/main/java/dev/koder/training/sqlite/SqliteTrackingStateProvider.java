package dev.koder.training.sqlite;

import dev.koder.training.spi.PluginConfig;
import dev.koder.training.spi.TrackingStateStore;
import dev.koder.training.spi.TrackingStateStoreProvider;
import java.nio.file.Path;

/** The default TrackingStateStore: the home's {@code training.db}. */
public final class SqliteTrackingStateProvider extends SqlitePart<TrackingStateStore> implements TrackingStateStoreProvider {

    @Override
    TrackingStateStore open(Path file, PluginConfig config) {
        return SqliteTrackingState.open(file);
    }
}
