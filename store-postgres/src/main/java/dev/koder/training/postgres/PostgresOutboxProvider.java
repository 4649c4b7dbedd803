package dev.koder.training.postgres;

import dev.koder.training.spi.PluginConfig;
import dev.koder.training.spi.OutboxStore;
import dev.koder.training.spi.OutboxStoreProvider;

/**
 * The OutboxStore in PostgreSQL, chosen with {@code training.store=postgres} (or {@code training.outboxes=postgres}). Ranked below
 * the embedded store.
 */
public final class PostgresOutboxProvider implements OutboxStoreProvider {

    @Override
    public String name() {
        return "postgres";
    }

    @Override
    public int priority() {
        return -200;
    }

    @Override
    public OutboxStore create(PluginConfig config) {
        return PostgresOutbox.open(PostgresSettings.from(config, System.getenv()));
    }
}
