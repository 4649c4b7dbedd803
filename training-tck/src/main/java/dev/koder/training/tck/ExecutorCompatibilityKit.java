package dev.koder.training.tck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.spi.Execution;
import dev.koder.training.spi.Executor;
import dev.koder.training.spi.ExitStatus;
import dev.koder.training.spi.LaunchPlan;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every {@link Executor} must do, checked with real processes ({@link KitProcess} in a fresh JVM).
 * Extend it and implement {@link #newExecutor()}.
 */
public abstract class ExecutorCompatibilityKit {

    /** The trainer's working directory. */
    @TempDir
    protected Path workdir;

    /** The executor under test. */
    protected Executor executor;

    /** @return a new executor */
    protected abstract Executor newExecutor();

    /** @return whether trainers run in their own process group, so leftovers die with them */
    protected boolean supportsProcessGroups() {
        return true;
    }

    @BeforeEach
    void create(TestReporter reporter) {
        executor = newExecutor();
        reporter.publishEntry("implementation", executor.getClass().getName() + " (executor " + executor.name() + ")");
    }

    @AfterEach
    void closeExecutor() {
        executor.close();
    }

    LaunchPlan plan(Map<String, String> env, String... args) {
        return new LaunchPlan(KitProcess.command(args), env, workdir, workdir.resolve("logs/stdout.log"),
                workdir.resolve("logs/stderr.log"));
    }

    static ExitStatus exit(Execution e) throws Exception {
        return e.onExit().get(60, TimeUnit.SECONDS);
    }

    static long[] waitForPids(Path file) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!Files.exists(file)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the trainer never wrote " + file);
            }
            Thread.sleep(50);
        }
        return Arrays.stream(Files.readString(file).trim().split(" ")).mapToLong(Long::parseLong).toArray();
    }

    static void assertGone(long... pids) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        for (long pid : pids) {
            while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("process " + pid + " is still running");
                }
                Thread.sleep(50);
            }
        }
    }

    /** Starting and finishing. */
    @Nested
    class Running {
        @Test
        void start_reportsTheExitCode_andWritesOutputToTheLogFiles() throws Exception {
            Execution e = executor.start(plan(Map.of(), "exit", "3"));
            assertThat(exit(e).exitCode()).hasValue(3);
            assertThat(Files.readString(workdir.resolve("logs/stdout.log"))).contains("to stdout");
            assertThat(Files.readString(workdir.resolve("logs/stderr.log"))).contains("to stderr");
        }

        @Test
        void start_passesTheEnvironment_andRunsInTheWorkdir() throws Exception {
            Execution e = executor.start(plan(Map.of("KIT_VALUE", "forty-two"), "env", "KIT_VALUE", "env.txt"));
            assertThat(exit(e).success()).isTrue();
            assertThat(Files.readString(workdir.resolve("env.txt"))).isEqualTo("forty-two");
        }

        @Test
        void aTrainerThatExits_leavesNoChildBehind() throws Exception {
            Assumptions.assumeTrue(supportsProcessGroups(), ExecutorCompatibilityKit.this.getClass().getSimpleName()
                    + ": the executor does not run process groups (supportsProcessGroups() is false)");
            Execution e = executor.start(plan(Map.of(), "orphan", workdir.resolve("pids").toString()));
            long child = waitForPids(workdir.resolve("pids"))[0];
            assertThat(exit(e).success()).isTrue();
            assertGone(child);
        }
    }

    /** Stopping. */
    @Nested
    class Stopping {
        @Test
        void terminate_reachesTheTrainersOwnStopHandler() throws Exception {
            Execution e = executor.start(plan(Map.of(), "tree", workdir.resolve("pids").toString(),
                    workdir.resolve("marker").toString()));
            long[] pids = waitForPids(workdir.resolve("pids"));
            e.terminate();
            ExitStatus status = exit(e);
            assertThat(status.success()).isFalse();
            assertThat(workdir.resolve("marker")).hasContent("terminated");
            assertGone(pids);
        }

        @Test
        void kill_stopsTheTrainerAndEverythingItStarted() throws Exception {
            Execution e = executor.start(plan(Map.of(), "tree", workdir.resolve("pids").toString(),
                    workdir.resolve("marker").toString()));
            long[] pids = waitForPids(workdir.resolve("pids"));
            assertThat(e.isAlive()).isTrue();
            e.kill();
            exit(e);
            assertGone(pids);
            assertThat(e.isAlive()).isFalse();
        }

        @Test
        void close_killsEveryTrainerStillRunning() throws Exception {
            Execution e = executor.start(plan(Map.of(), "tree", workdir.resolve("pids").toString(),
                    workdir.resolve("marker").toString()));
            long[] pids = waitForPids(workdir.resolve("pids"));
            executor.close();
            exit(e);
            assertGone(pids);
        }
    }

    /** Finding trainers again after a restart. */
    @Nested
    class Reattaching {
        @Test
        void reattach_findsARunningTrainerByItsRef_andCanStopIt() throws Exception {
            Execution e = executor.start(plan(Map.of(), "tree", workdir.resolve("pids").toString(),
                    workdir.resolve("marker").toString()));
            long[] pids = waitForPids(workdir.resolve("pids"));
            try (Executor second = newExecutor()) {
                Execution again = second.reattach(e.ref()).orElseThrow();
                assertThat(again.isAlive()).isTrue();
                again.kill();
                exit(again);
                assertGone(pids);
            }
        }

        @Test
        void find_byLaunchToken_findsTheTrainer_withoutItsRef_andNothingOnceItEnded() throws Exception {
            String token = "kit-" + Long.toHexString(System.nanoTime());
            Execution e = executor.start(plan(Map.of(), "tree", workdir.resolve("pids").toString(),
                    workdir.resolve("marker").toString()).withLaunchToken(token));
            long[] pids = waitForPids(workdir.resolve("pids"));
            try (Executor second = newExecutor()) {
                Execution found = second.find(token, workdir).orElseThrow(() -> new AssertionError(
                        "no trainer found by launch token " + token));
                assertThat(found.isAlive()).isTrue();
                assertThat(second.find("kit-unknown-token", workdir)).isEmpty();
                found.kill();
                exit(found);
                assertGone(pids);
                assertThat(second.find(token, workdir)).isEmpty();
            }
            exit(e);
        }

        @Test
        void reattach_afterTheTrainerEnded_orWithAForeignRef_findsNothing() throws Exception {
            Execution e = executor.start(plan(Map.of(), "exit", "0"));
            exit(e);
            assertThat(executor.reattach(e.ref())).isEmpty();
            for (String bad : List.of("", "nonsense", "local:abc:1", "local:1")) {
                assertThat(executor.reattach(bad)).as(bad).isEmpty();
            }
        }
    }
}
