package dev.koder.training.sqlite;

import dev.koder.training.spi.JobStore;
import dev.koder.training.tck.JobStoreCompatibilityKit;
import java.nio.file.Path;
import java.time.Clock;

class SqliteJobStoreTest extends JobStoreCompatibilityKit {

    @Override
    protected JobStore openStore(Path dir) {
        return SqliteJobStore.open(dir.resolve("training.db"), Clock.systemUTC());
    }
}
