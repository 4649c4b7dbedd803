package dev.koder.training.core;

import dev.koder.training.api.JobStatus;
import dev.koder.training.core.exec.LocalExecutor;
import dev.koder.training.spi.AttemptPhase;
import dev.koder.training.spi.Execution;
import dev.koder.training.spi.Executor;
import dev.koder.training.spi.JobStore;
import dev.koder.training.spi.JobUpdate;
import dev.koder.training.spi.LaunchPlan;
import dev.koder.training.spi.NewEvent;
import dev.koder.training.spi.Updated;
import dev.koder.training.sqlite.SqliteJobStore;
import dev.koder.training.tck.ForwardingJobStore;
import dev.koder.training.tck.KitProcess;
import dev.koder.training.tck.ScriptedRunner;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A separate JVM that runs the jobs of a home, for the crash and exit tests. Prints "ready" once it is the
 * worker, then either runs until killed ({@code run}), exits through System.exit after the given
 * milliseconds ({@code exit-after MS}), or dies at once (Runtime.halt, as a SIGKILL would) at one point of an
 * attempt's lifecycle ({@code crash-at POINT}, see {@link Crash}), or right after storing an attempt's end, with a
 * usage sink on ({@code halt-after-end}).
 */
public final class ServiceHost {

    private ServiceHost() {
    }

    static Process start(Path home, String... mode) throws java.io.IOException {
        List<String> cmd = KitProcess.java(List.of("-Xmx256m"), ServiceHost.class, home.toString());
        cmd.addAll(List.of(mode));
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    /** Where {@code crash-at} halts the JVM: right after the step named, before the one after it. */
    enum Crash {
        /** The job claimed (PLANNED stored), before its launch. */
        PLANNED,
        /** LAUNCHING and the token stored, before the executor starts anything. */
        LAUNCHING,
        /** The trainer started, before the executor's marker file is written. */
        STARTED_NO_MARKER,
        /** The trainer started with its marker, before its reference is stored. */
        STARTED,
        /** RUNNING and the reference stored, before the trainer is watched. */
        RUNNING,
        /** The trainer ended and FINISHING is stored, before the attempt is charged and its end stored. */
        FINISHING
    }

    static void halt() {
        System.out.flush();
        Runtime.getRuntime().halt(137);
    }

    /** Halts after storing an update that sets the phase the crash point names. */
    static final class CrashingStore extends ForwardingJobStore {
        final AttemptPhase at;

        CrashingStore(JobStore inner, AttemptPhase at) {
            super(inner);
            this.at = at;
        }

        @Override
        public Optional<Updated> update(String id, JobStatus expected, JobUpdate update, List<NewEvent> events) {
            Optional<Updated> stored = inner.update(id, expected, update, events);
            if (stored.isPresent() && stored.get().record().phase() == at && (update.phase() == at
                    || (at == AttemptPhase.PLANNED && update.status() == JobStatus.RUNNING))) {
                halt();
            }
            return stored;
        }
    }

    /** Halts after storing an attempt's end with its usage, before anyone is told of it. */
    static final class HaltAfterEnd extends ForwardingJobStore {
        HaltAfterEnd(JobStore inner) {
            super(inner);
        }

        @Override
        public Optional<Updated> update(String id, JobStatus expected, JobUpdate update, List<NewEvent> events) {
            Optional<Updated> stored = inner.update(id, expected, update, events);
            if (stored.isPresent() && events.stream().anyMatch(e -> e.type().equals(
                    dev.koder.training.api.JobEvent.TYPE_USAGE))) {
                halt();
            }
            return stored;
        }
    }

    /** Halts around the start of a trainer. */
    static final class CrashingExecutor implements Executor {
        final Executor inner;
        final Crash at;

        CrashingExecutor(Executor inner, Crash at) {
            this.inner = inner;
            this.at = at;
        }

        @Override
        public String name() {
            return inner.name();
        }

        @Override
        public Execution start(LaunchPlan plan) throws java.io.IOException {
            if (at == Crash.LAUNCHING) {
                halt();
            }
            Execution e = inner.start(plan);
            if (at == Crash.STARTED_NO_MARKER) {
                java.nio.file.Files.delete(plan.workdir().resolve("launches").resolve(plan.launchToken()));
                halt();
            }
            if (at == Crash.STARTED) {
                halt();
            }
            return e;
        }

        @Override
        public Optional<Execution> reattach(String ref) {
            return inner.reattach(ref);
        }

        @Override
        public Optional<Execution> find(String launchToken, Path workdir) throws java.io.IOException {
            return inner.find(launchToken, workdir);
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    public static void main(String[] args) throws Exception {
        Training.Builder b = Training.builder().home(Path.of(args[0])).runner(new ScriptedRunner())
                .maxConcurrentJobs(2).pollInterval(Duration.ofMillis(50)).shutdownGracePeriod(Duration.ofSeconds(10));
        if (args.length > 2 && args[1].equals("crash-at")) {
            Crash at = Crash.valueOf(args[2]);
            java.nio.file.Files.createDirectories(Path.of(args[0]));
            JobStore store = SqliteJobStore.open(Path.of(args[0]).resolve("training.db"), Clock.systemUTC());
            AttemptPhase phase = switch (at) {
                case PLANNED -> AttemptPhase.PLANNED;
                case RUNNING -> AttemptPhase.RUNNING;
                case FINISHING -> AttemptPhase.FINISHING;
                default -> null;
            };
            b.jobStore(phase == null ? store : new CrashingStore(store, phase))
                    .executor(new CrashingExecutor(LocalExecutor.create(false), at));
        }
        if (args.length > 1 && args[1].equals("halt-after-end")) {
            java.nio.file.Files.createDirectories(Path.of(args[0]));
            b.jobStore(new HaltAfterEnd(SqliteJobStore.open(Path.of(args[0]).resolve("training.db"),
                    Clock.systemUTC()))).usageSink(u -> System.out.println("usage handed over: " + u));
        }
        Training training = b.build();
        if (!training.runsJobs()) {
            System.out.println("not the worker");
            System.exit(2);
        }
        System.out.println("ready");
        System.out.flush();
        if (args.length > 2 && args[1].equals("exit-after")) {
            Thread.sleep(Long.parseLong(args[2]));
            System.exit(0);
        }
        Thread.sleep(Long.MAX_VALUE);
    }
}
