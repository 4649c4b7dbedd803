package dev.koder.training.sqlite;

import dev.koder.training.spi.PluginConfig;
import dev.koder.training.spi.TrackingStateStore;
import dev.koder.training.spi.TrackingStateStoreProvider;

/** The default TrackingStateStore: the home's {@code training.db}. */
public final class SqliteTrackingStateProvider implements TrackingStateStoreProvider {

    @Override
    public String name() {
        return "sqlite";
    }

    @Override
    public int priority() {
        return -100;
    }

    @Override
    public TrackingStateStore create(PluginConfig config) {
        return SqliteTrackingState.open(config.home().resolve(SqliteJobStoreProvider.FILE));
    }
}
