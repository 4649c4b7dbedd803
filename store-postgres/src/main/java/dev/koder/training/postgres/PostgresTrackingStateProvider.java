package dev.koder.training.postgres;

import dev.koder.training.spi.PluginConfig;
import dev.koder.training.spi.TrackingStateStore;
import dev.koder.training.spi.TrackingStateStoreProvider;

/**
 * The TrackingStateStore in PostgreSQL, chosen with {@code training.store=postgres} (or {@code training.tracking-state=postgres}). Ranked below
 * the embedded store.
 */
public final class PostgresTrackingStateProvider extends PostgresPart<TrackingStateStore> implements TrackingStateStoreProvider {

    @Override
    TrackingStateStore open(PostgresSettings settings, PluginConfig config) {
        return PostgresTrackingState.open(settings);
    }
}
