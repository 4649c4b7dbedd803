package dev.koder.training.sqlite;

import dev.koder.training.spi.OutboxStore;
import dev.koder.training.spi.OutboxStoreProvider;
import dev.koder.training.spi.PluginConfig;

/** The default OutboxStore: the home's {@code training.db}. */
public final class SqliteOutboxProvider implements OutboxStoreProvider {

    @Override
    public String name() {
        return "sqlite";
    }

    @Override
    public int priority() {
        return -100;
    }

    @Override
    public OutboxStore create(PluginConfig config) {
        return SqliteOutbox.open(config.home().resolve(SqliteJobStoreProvider.FILE));
    }
}
