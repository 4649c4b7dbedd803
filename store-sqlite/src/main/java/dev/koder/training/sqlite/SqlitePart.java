package dev.koder.training.sqlite;

import dev.koder.training.spi.PluginConfig;
import dev.koder.training.spi.Provider;
import java.nio.file.Path;

/**
 * What every provider of this module shares: the name {@code sqlite}, the lowest rank (any other installed store
 * wins), and the one file every part lives in, {@code <home>/training.db}.
 *
 * @param <T> the part
 */
abstract class SqlitePart<T> implements Provider<T> {

    @Override
    public final String name() {
        return "sqlite";
    }

    @Override
    public final int priority() {
        return -100;
    }

    @Override
    public final T create(PluginConfig config) {
        return open(config.home().resolve(SqliteJobStoreProvider.FILE), config);
    }

    /**
     * @param file the home's database file
     * @param config the service's settings, for what the part needs besides
     * @return the part, open
     */
    abstract T open(Path file, PluginConfig config);
}
