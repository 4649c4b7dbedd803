package dev.koder.training.sqlite;

import dev.koder.training.spi.AccessKeyStore;
import dev.koder.training.spi.AccessKeyStoreProvider;
import dev.koder.training.spi.PluginConfig;
import java.nio.file.Path;

/** The default store of tenants and API keys: the home's {@code training.db}. */
public final class SqliteAccessProvider extends SqlitePart<AccessKeyStore> implements AccessKeyStoreProvider {

    @Override
    AccessKeyStore open(Path file, PluginConfig config) {
        return SqliteAccess.open(config.home());
    }
}
