package dev.koder.training.postgres;

import dev.koder.training.spi.PluginConfig;
import dev.koder.training.spi.OutboxStore;
import dev.koder.training.spi.OutboxStoreProvider;

/**
 * The OutboxStore in PostgreSQL, chosen with {@code training.store=postgres} (or {@code training.outboxes=postgres}). Ranked below
 * the embedded store.
 */
public final class PostgresOutboxProvider extends PostgresPart<OutboxStore> implements OutboxStoreProvider {

    @Override
    OutboxStore open(PostgresSettings settings, PluginConfig config) {
        return PostgresOutbox.open(settings);
    }
}
