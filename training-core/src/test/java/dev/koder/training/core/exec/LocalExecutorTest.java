package dev.koder.training.core.exec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.spi.Execution;
import dev.koder.training.spi.ExitStatus;
import dev.koder.training.spi.Executor;
import dev.koder.training.spi.LaunchPlan;
import dev.koder.training.tck.ExecutorCompatibilityKit;
import dev.koder.training.tck.KitProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalExecutorTest extends ExecutorCompatibilityKit {

    @Override
    protected Executor newExecutor() {
        return LocalExecutor.create(false);
    }

    /** Finding a trainer whose marker file was never written: by the launch token in its environment. */
    @Test
    void find_withoutTheMarker_findsTheTrainerByTheTokenInItsEnvironment() throws Exception {
        String token = "envonly-" + Long.toHexString(System.nanoTime());
        Execution e = executor.start(new LaunchPlan(KitProcess.command("sleep"), Map.of(), workdir,
                workdir.resolve("o.log"), workdir.resolve("e.log")).withLaunchToken(token));
        Files.delete(LocalExecutor.marker(workdir, token));
        try (Executor restarted = newExecutor()) {
            Execution found = restarted.find(token, workdir).orElseThrow();
            assertThat(found.ref()).isEqualTo(e.ref());
            found.kill();
            e.onExit().get(30, TimeUnit.SECONDS);
            assertThat(restarted.find(token, workdir)).isEmpty();
        }
    }

    /** Trainers in memory cgroups of their own (a real cgroup of this host; the tests run as root). */
    @Nested
    class MemoryLimits {
        @TempDir
        Path dir;

        Execution run(Executor limited, int megabytes) throws Exception {
            String token = "mem-" + megabytes + "-" + Long.toHexString(System.nanoTime());
            return limited.start(new LaunchPlan(List.of("python3", "-c", "import time; b = b'x' * (" + megabytes
                    + " << 20); time.sleep(0.5)"), Map.of(), dir, dir.resolve("o.log"), dir.resolve("e.log"))
                    .withLaunchToken(token));
        }

        @Test
        void aTrainerOverItsLimit_isKilledInItsOwnCgroup_whichCountsTheKill() throws Exception {
            try (Executor limited = LocalExecutor.create(false, 150L << 20)) {
                Execution big = run(limited, 400);
                ExitStatus exit = big.onExit().get(60, TimeUnit.SECONDS);
                assertThat(exit.signal()).as("killed by the kernel: %s", exit).hasValue(9);
                assertThat(big.oomKills()).hasValue(1);
                assertThat(big.memoryLimitBytes()).hasValue(150L << 20);

                Execution small = run(limited, 40);
                assertThat(small.onExit().get(60, TimeUnit.SECONDS).success()).isTrue();
                assertThat(small.oomKills()).hasValue(0);
                assertThat(small.peakMemoryBytes().getAsLong()).isBetween(40L << 20, 150L << 20);
            }
        }
    }
}
