package dev.koder.training.postgres;

import dev.koder.training.spi.AccessKeyStore;
import dev.koder.training.spi.AccessKeyStoreProvider;
import dev.koder.training.spi.PluginConfig;

/**
 * Tenants and API keys in PostgreSQL, chosen with {@code training.store=postgres} (or {@code training.keys=postgres}).
 * Ranked below the embedded store.
 */
public final class PostgresAccessKeysProvider implements AccessKeyStoreProvider {

    @Override
    public String name() {
        return "postgres";
    }

    @Override
    public int priority() {
        return -200;
    }

    @Override
    public AccessKeyStore create(PluginConfig config) {
        return PostgresAccessKeys.open(PostgresSettings.from(config, System.getenv()));
    }
}
