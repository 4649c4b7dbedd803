package dev.koder.training.postgres;

import dev.koder.training.spi.PluginConfig;
import dev.koder.training.spi.TrackingStateStore;
import dev.koder.training.spi.TrackingStateStoreProvider;

/**
 * The TrackingStateStore in PostgreSQL, chosen with {@code training.store=postgres} (or {@code training.tracking-state=postgres}). Ranked below
 * the embedded store.
 */
public final class PostgresTrackingStateProvider implements TrackingStateStoreProvider {

    @Override
    public String name() {
        return "postgres";
    }

    @Override
    public int priority() {
        return -200;
    }

    @Override
    public TrackingStateStore create(PluginConfig config) {
        return PostgresTrackingState.open(PostgresSettings.from(config, System.getenv()));
    }
}
