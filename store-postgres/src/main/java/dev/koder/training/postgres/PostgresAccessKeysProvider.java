package dev.koder.training.postgres;

import dev.koder.training.spi.AccessKeyStore;
import dev.koder.training.spi.AccessKeyStoreProvider;
import dev.koder.training.spi.PluginConfig;

/**
 * Tenants and API keys in PostgreSQL, chosen with {@code training.store=postgres} (or {@code training.keys=postgres}).
 * Ranked below the embedded store.
 */
public final class PostgresAccessKeysProvider extends PostgresPart<AccessKeyStore> implements AccessKeyStoreProvider {

    @Override
    AccessKeyStore open(PostgresSettings settings, PluginConfig config) {
        return PostgresAccessKeys.open(settings);
    }
}
