package dev.koder.training.postgres;

import dev.koder.training.spi.PluginConfig;
import dev.koder.training.spi.WorkerLease;
import dev.koder.training.spi.WorkerLeaseProvider;

/**
 * The worker lease in PostgreSQL, chosen with {@code training.store=postgres} (or {@code training.lease=postgres});
 * its timeout is {@value WorkerLease#TIMEOUT_PROPERTY} (default 30 s). Ranked below the embedded lease.
 */
public final class PostgresWorkerLeaseProvider extends PostgresPart<WorkerLease> implements WorkerLeaseProvider {

    @Override
    WorkerLease open(PostgresSettings settings, PluginConfig config) {
        return PostgresWorkerLease.open(settings, WorkerLease.instanceName(),
                config.duration(WorkerLease.TIMEOUT_PROPERTY, WorkerLease.DEFAULT_TIMEOUT));
    }
}
