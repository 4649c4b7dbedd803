package dev.koder.training.core;

import dev.koder.training.api.AmbiguousPluginException;
import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.EventLevel;
import dev.koder.training.api.GpuNode;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobQuery;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Violation;
import dev.koder.training.core.estimate.Estimator;
import dev.koder.training.core.internal.Bytes;
import dev.koder.training.core.registry.CheckpointRegistry;
import dev.koder.training.spi.Executor;
import dev.koder.training.spi.GpuInventory;
import dev.koder.training.spi.JobRecord;
import dev.koder.training.spi.JobScheduler;
import dev.koder.training.spi.JobStore;
import dev.koder.training.spi.JobUpdate;
import dev.koder.training.spi.NewEvent;
import dev.koder.training.spi.QuotaLedger;
import dev.koder.training.spi.RunnerChoice;
import dev.koder.training.spi.TrainingRunner;
import dev.koder.training.spi.Updated;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What the parts of the running service share: the store, the clock, the plugins, the threads. */
final class Engine {

    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);
    private static final Pattern CHECKPOINT_STEP = Pattern.compile("checkpoint-(\\d+)");

    final JobStore store;
    final EventBus bus;
    final Clock clock;
    final Settings settings;
    final Plugins<TrainingRunner> runners;
    final Plugins<Executor> executors;
    final Path jobsDir;
    /** Threads for supervisors' polls, timers and launches (not the job scheduler). */
    final ScheduledExecutorService timers;
    final QuotaLedger ledger;
    final Estimator estimator;
    private final JobScheduler jobScheduler;
    private final GpuInventory inventory;
    private final Object schedulerLock = new Object();
    /** The checkpoint registry; null when the service has none. */
    final CheckpointRegistry registry;
    private final ExecutorService registrations;
    private List<GpuNode> pool = List.of();
    private Instant poolReadAt = Instant.EPOCH;

    Engine(JobStore store, EventBus bus, Clock clock, Settings settings, Plugins<TrainingRunner> runners,
            Plugins<Executor> executors, Path jobsDir, ScheduledExecutorService timers, QuotaLedger ledger,
            Estimator estimator, JobScheduler jobScheduler, GpuInventory inventory, CheckpointRegistry registry,
            ExecutorService registrations) {
        this.store = store;
        this.bus = bus;
        this.clock = clock;
        this.settings = settings;
        this.runners = runners;
        this.executors = executors;
        this.jobsDir = jobsDir;
        this.timers = timers;
        this.ledger = ledger;
        this.estimator = estimator;
        this.jobScheduler = jobScheduler;
        this.inventory = inventory;
        this.registry = registry;
        this.registrations = registrations;
    }

    /**
     * Registers a checkpoint the trainer reported, in the background (it may be large).
     *
     * @return done when the registration is, registered or not (what went wrong is the job's event); done at once
     *     when there is nothing to register or the service is closing (the worker registers it when it starts again)
     */
    CompletableFuture<Void> registerLater(Job job, TrainerState.Written w) {
        if (registry == null || w.path() == null) {
            return CompletableFuture.completedFuture(null);
        }
        try {
            return CompletableFuture.runAsync(() -> register(job, w.path(), w.step(), false, w.metrics()),
                    registrations);
        } catch (RejectedExecutionException closing) {
            LOG.warn("job {}: the service is closing; the checkpoint in {} is registered when the worker starts "
                    + "again", job.id(), w.path());
            return CompletableFuture.completedFuture(null);
        }
    }

    /**
     * Registers a job's final output before the job is seen to succeed: at the step and with the figures of the
     * checkpoint the trainer chose when it chose one (checkpoints.select best), else at the last step.
     */
    void registerOutput(Job job, String output, TrainerState.Selected selected, Map<String, Double> metrics) {
        if (registry != null && output != null) {
            long step = job.progress().step() == null ? 0 : job.progress().step();
            if (selected != null) {
                Map<String, Double> chosen = new java.util.LinkedHashMap<>(selected.metrics());
                chosen.put("last_step", (double) step);
                register(job, output, selected.step(), true, chosen);
            } else {
                register(job, output, step, true, metrics);
            }
        }
    }

    private void register(Job job, String path, long step, boolean last, Map<String, Double> metrics) {
        String what = last ? "the output" : "the checkpoint at step " + step;
        try {
            long t0 = System.nanoTime();
            Checkpoint c = registry.register(job, Path.of(path), step, last, metrics, n -> { });
            note(job.id(), note(EventLevel.INFO, String.format(Locale.ROOT, "%s is registered as %s (%s, %d files, "
                    + "%s, in %.1f s)", what, c.id(), c.stage().wireName(), c.files().size(), Bytes.human(c.size()),
                    (System.nanoTime() - t0) / 1e9), Map.of("checkpoint_id", c.id(), "path", path)));
        } catch (IOException | RuntimeException e) {
            LOG.warn("job {}: {} in {} was not registered", job.id(), what, path, e);
            note(job.id(), note(EventLevel.WARN, what + " in " + path + " was not registered: " + e.getMessage()
                    + "; it is registered when the worker starts again", Map.of("path", path)));
        }
    }

    /**
     * Registers what a crash may have left unregistered: the output of recently succeeded jobs and the last
     * checkpoint of recent jobs, when their folders are still there. Runs when the worker starts.
     */
    void reconcileRegistry() {
        if (registry == null) {
            return;
        }
        Instant since = clock.instant().minus(Duration.ofDays(7));
        for (JobRecord r : store.list(JobQuery.builder().limit(200).build()).items()) {
            Job j = r.job();
            if (j.createdAt().isBefore(since)) {
                break;
            }
            if (j.lastCheckpoint() != null && Files.isDirectory(Path.of(j.lastCheckpoint()))
                    && !registry.registered(j.id(), j.lastCheckpoint())) {
                Matcher m = CHECKPOINT_STEP.matcher(Path.of(j.lastCheckpoint()).getFileName().toString());
                long step = m.matches() ? Long.parseLong(m.group(1))
                        : j.progress().step() == null ? 0 : j.progress().step();
                register(j, j.lastCheckpoint(), step, false, Map.of());
            }
            if (j.status() == JobStatus.SUCCEEDED && j.output() != null && Files.isDirectory(Path.of(j.output()))
                    && !registry.registered(j.id(), j.output())) {
                register(j, j.output(), j.progress().step() == null ? 0 : j.progress().step(), true, Map.of());
            }
        }
    }

    /** Adds an event to a job whatever its status. */
    void note(String id, NewEvent event) {
        for (int attempt = 0; attempt < 10; attempt++) {
            Optional<JobRecord> r = store.find(id);
            if (r.isEmpty() || update(id, r.get().status(), JobUpdate.builder().build(), List.of(event)).isPresent()) {
                return;
            }
        }
        LOG.warn("job {}: could not record the event: {}", id, event.message());
    }

    /** Changes a job in the store and hands the new events to listeners and sinks. */
    Optional<Updated> update(String id, JobStatus expected, JobUpdate update, List<NewEvent> events) {
        Optional<Updated> u = store.update(id, expected, update, events);
        u.ifPresent(x -> bus.publish(x.record().job(), x.events()));
        return u;
    }

    /** Moves a job to another status with one status event. */
    Optional<Updated> move(String id, JobStatus from, JobUpdate.Builder update, EventLevel level, String message) {
        JobStatus to = update.build().status();
        return update(id, from, update.build(), List.of(status(from, to, level, message)));
    }

    NewEvent status(JobStatus from, JobStatus to, EventLevel level, String message) {
        return new NewEvent(clock.instant(), level, JobEvent.TYPE_STATUS, message,
                Map.of("from", from.wireName(), "to", to.wireName()));
    }

    NewEvent note(EventLevel level, String message, Map<String, Object> data) {
        return new NewEvent(clock.instant(), level, JobEvent.TYPE_NOTE, message, data);
    }

    /** The spec's runner, or the default one (the {@code training.runner} property, else the best installed). */
    TrainingRunner runnerFor(JobSpec spec) {
        return pick(spec).runner();
    }

    /** The runner of a job and why it was taken. */
    record RunnerPick(TrainingRunner runner, String reason) {
    }

    /**
     * The runner for a spec: the one it names; else the one {@code training.runner} names; else, by the
     * documented rule, the runner of highest {@link RunnerChoice} rank among those that accept the job on this
     * host (runners passed in code first). With no runner accepting it, the usual choice (and its error).
     */
    RunnerPick pick(JobSpec spec) {
        if (spec.runner().isPresent()) {
            return new RunnerPick(runners.named(spec.runner().get()), "named in the spec");
        }
        if (runners.named()) {
            TrainingRunner r = runners.chosen();
            return new RunnerPick(r, "named by the property " + Training.RUNNER_PROPERTY);
        }
        Plugins.Ranked<TrainingRunner> best = null;
        RunnerChoice bestChoice = null;
        List<String> tied = new ArrayList<>();
        List<String> passed = new ArrayList<>();
        for (Plugins.Ranked<TrainingRunner> r : runners.ranked()) {
            List<Violation> problems = JobService.runnerProblems(r.plugin(), spec);
            if (!problems.isEmpty()) {
                passed.add(r.plugin().name() + ": " + brief(r.plugin().name(), problems.get(0).message()));
                continue;
            }
            RunnerChoice c = r.plugin().choice(spec);
            if (!c.available()) {
                passed.add(r.plugin().name() + ": " + c.reason());
                continue;
            }
            boolean better = best == null || r.explicit() && !best.explicit()
                    || r.explicit() == best.explicit() && c.rank() > bestChoice.rank();
            boolean same = best != null && r.explicit() == best.explicit() && c.rank() == bestChoice.rank();
            if (better) {
                if (best != null) {
                    passed.add(best.plugin().name() + ": " + bestChoice.reason() + ", ranked lower");
                }
                best = r;
                bestChoice = c;
                tied.clear();
                tied.add(r.plugin().name());
            } else if (same) {
                tied.add(r.plugin().name());
            } else {
                passed.add(r.plugin().name() + ": " + c.reason() + ", ranked lower");
            }
        }
        if (best == null) {
            return new RunnerPick(runners.chosen(), "the only choice, although it refuses the job");
        }
        if (tied.size() > 1) {
            throw new AmbiguousPluginException("Several training runners found: " + String.join(", ", tied)
                    + ". Pick one with the property " + Training.RUNNER_PROPERTY + "=<name>.");
        }
        String reason = (best.explicit() ? "passed in code; " : "") + bestChoice.reason()
                + (passed.isEmpty() ? "" : "; not " + String.join("; not ", passed));
        return new RunnerPick(best.plugin(), reason);
    }

    /**
     * Why a runner was passed over, for the note beside the one chosen: its refusal without the advice (what follows
     * the first "; ", meant for whoever names that runner) and without the runner's name, which the note gives.
     *
     * @param runner the runner's name
     * @param refusal the first problem it found with the job
     * @return {@code cannot make its Python environment here: pip cannot install 'unsloth==2026.10.9'}
     */
    static String brief(String runner, String refusal) {
        String text = refusal.startsWith("runner '" + runner + "' ")
                ? refusal.substring(("runner '" + runner + "' ").length()) : refusal;
        int advice = text.indexOf("; ");
        return advice < 0 ? text : text.substring(0, advice);
    }

    /** @param name a runner's name @return the runner */
    TrainingRunner runnerNamed(String name) {
        return runners.named(name);
    }

    Path workdir(String jobId) {
        return jobsDir.resolve(jobId);
    }

    /** @return the GPU pool, read from the inventory at most every few seconds */
    List<GpuNode> pool() {
        synchronized (schedulerLock) {
            Instant now = clock.instant();
            if (Duration.between(poolReadAt, now).compareTo(settings.poolRefresh()) >= 0) {
                pool = inventory == null ? List.of() : inventory.nodes();
                poolReadAt = now;
                jobScheduler.pool(pool, settings.maxConcurrentJobs());
            }
            return pool;
        }
    }

    /** Runs something against the job scheduler, which is not thread-safe, under its lock. */
    <T> T withJobScheduler(Function<JobScheduler, T> work) {
        pool();
        synchronized (schedulerLock) {
            return work.apply(jobScheduler);
        }
    }

    /** @return the inventory's name, or null without one */
    String inventoryName() {
        return inventory == null ? null : inventory.name();
    }
}
