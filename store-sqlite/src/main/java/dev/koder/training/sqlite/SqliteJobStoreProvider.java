package dev.koder.training.sqlite;

import dev.koder.training.spi.JobStore;
import dev.koder.training.spi.JobStoreProvider;
import dev.koder.training.spi.PluginConfig;
import java.time.Clock;

/** The default job store: {@code <home>/training.db}. Lowest priority, so any installed store wins. */
public final class SqliteJobStoreProvider implements JobStoreProvider {

    /** File name of the database inside the home directory. */
    public static final String FILE = "training.db";

    @Override
    public String name() {
        return "sqlite";
    }

    @Override
    public int priority() {
        return -100;
    }

    @Override
    public JobStore create(PluginConfig config) {
        return SqliteJobStore.open(config.home().resolve(FILE), Clock.systemUTC());
    }
}
