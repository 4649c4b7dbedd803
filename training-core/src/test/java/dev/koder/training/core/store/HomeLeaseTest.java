package dev.koder.training.core.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.spi.WorkerLease;
import dev.koder.training.tck.WorkerLeaseCompatibilityKit;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The lock-file lease of an embedded home against the kit, and what its file tells another process. */
class HomeLeaseTest extends WorkerLeaseCompatibilityKit {

    @Override
    protected WorkerLease openStore(Path dir) {
        return new HomeLease(dir.resolve("home"), WorkerLease.instanceName());
    }

    @Test
    void theLockFileNamesItsHolder_andALeaseNobodyHolds_namesNobody() throws Exception {
        HomeLease a = new HomeLease(dir, "host-a:1:abc");
        try {
            assertThat(a.tryAcquire()).isTrue();
            assertThat(Files.readString(dir.resolve(HomeLease.FILE))).startsWith("host-a:1:abc since ");
        } finally {
            a.close();
        }
        assertThat(new HomeLease(dir, "b").holder()).as("the file of a holder gone").isEmpty();
    }
}
