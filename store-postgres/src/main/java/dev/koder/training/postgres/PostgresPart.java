package dev.koder.training.postgres;

import dev.koder.training.spi.PluginConfig;
import dev.koder.training.spi.Provider;

/**
 * What every provider of this module shares: the name {@code postgres}, which {@code training.store=postgres} picks
 * for every part of the store, a rank below the embedded store's (having the module on the class path changes
 * nothing), and the settings read from {@code training.store.postgres.*} or the PG environment variables.
 *
 * @param <T> the part
 */
abstract class PostgresPart<T> implements Provider<T> {

    @Override
    public final String name() {
        return "postgres";
    }

    @Override
    public final int priority() {
        return -200;
    }

    @Override
    public final T create(PluginConfig config) {
        return open(PostgresSettings.from(config, System.getenv()), config);
    }

    /**
     * @param settings where the database is
     * @param config the service's settings, for what the part needs besides
     * @return the part, open
     */
    abstract T open(PostgresSettings settings, PluginConfig config);
}
