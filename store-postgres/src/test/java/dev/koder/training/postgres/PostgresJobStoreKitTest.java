package dev.koder.training.postgres;

import dev.koder.training.spi.JobStore;
import dev.koder.training.tck.JobStoreCompatibilityKit;
import java.nio.file.Path;
import java.time.Clock;

/** The job store compatibility kit against a real PostgreSQL server. */
class PostgresJobStoreKitTest extends JobStoreCompatibilityKit {

    @Override
    protected JobStore openStore(Path dir) {
        return PostgresJobStore.open(PostgresServer.get().settings(dir), Clock.systemUTC());
    }
}
