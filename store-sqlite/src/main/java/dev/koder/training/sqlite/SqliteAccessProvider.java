package dev.koder.training.sqlite;

import dev.koder.training.spi.AccessKeyStore;
import dev.koder.training.spi.AccessKeyStoreProvider;
import dev.koder.training.spi.PluginConfig;

/** The default store of tenants and API keys: the home's {@code training.db}. */
public final class SqliteAccessProvider implements AccessKeyStoreProvider {

    @Override
    public String name() {
        return "sqlite";
    }

    @Override
    public int priority() {
        return -100;
    }

    @Override
    public AccessKeyStore create(PluginConfig config) {
        return SqliteAccess.open(config.home());
    }
}
