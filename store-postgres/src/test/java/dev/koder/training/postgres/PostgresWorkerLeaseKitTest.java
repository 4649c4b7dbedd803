package dev.koder.training.postgres;

import dev.koder.training.spi.WorkerLease;
import dev.koder.training.tck.WorkerLeaseCompatibilityKit;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The worker lease kit against a real PostgreSQL server: each instance in a transaction of its own on the shared
 * pool.
 */
class PostgresWorkerLeaseKitTest extends WorkerLeaseCompatibilityKit {

    @Override
    protected WorkerLease openStore(Path dir) {
        return PostgresWorkerLease.open(PostgresServer.get().settings(dir), WorkerLease.instanceName(),
                Duration.ofMillis(1500));
    }

    @Override
    protected void die(WorkerLease lease) {
        // a dead holder renews no more; its row stays until it expires
    }
}
