package dev.koder.training.sqlite;

import dev.koder.training.spi.JobStore;
import dev.koder.training.spi.JobStoreProvider;
import dev.koder.training.spi.PluginConfig;
import java.nio.file.Path;
import java.time.Clock;

/** The default job store: {@code <home>/training.db}. Lowest priority, so any installed store wins. */
public final class SqliteJobStoreProvider extends SqlitePart<JobStore> implements JobStoreProvider {

    /** File name of the database inside the home directory. */
    public static final String FILE = "training.db";

    @Override
    JobStore open(Path file, PluginConfig config) {
        return SqliteJobStore.open(file, Clock.systemUTC());
    }
}
