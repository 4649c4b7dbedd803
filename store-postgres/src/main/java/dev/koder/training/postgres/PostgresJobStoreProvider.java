package dev.koder.training.postgres;

import dev.koder.training.spi.JobStore;
import dev.koder.training.spi.JobStoreProvider;
import dev.koder.training.spi.PluginConfig;
import java.time.Clock;

/**
 * The job store in PostgreSQL ({@code training.store=postgres}). Ranked below the embedded store, so it is only used
 * when named: having the module on the class path changes nothing.
 */
public final class PostgresJobStoreProvider extends PostgresPart<JobStore> implements JobStoreProvider {

    @Override
    JobStore open(PostgresSettings settings, PluginConfig config) {
        return PostgresJobStore.open(settings, Clock.systemUTC());
    }
}
