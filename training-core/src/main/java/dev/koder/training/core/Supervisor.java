package dev.koder.training.core;

import dev.koder.training.api.EventLevel;
import dev.koder.training.api.FailureCause;
import dev.koder.training.api.GpuDevice;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobFailure;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Placement;
import dev.koder.training.api.PluginNotFoundException;
import dev.koder.training.api.TrainerFailedException;
import dev.koder.training.core.internal.Json;
import dev.koder.training.spi.Execution;
import dev.koder.training.spi.Executor;
import dev.koder.training.spi.ExitStatus;
import dev.koder.training.spi.JobRecord;
import dev.koder.training.spi.JobScheduler;
import dev.koder.training.spi.JobUpdate;
import dev.koder.training.spi.LaunchPlan;
import dev.koder.training.spi.RunContext;
import dev.koder.training.spi.TrainingRunner;
import dev.koder.training.spi.Updated;
import dev.koder.training.spi.UsageRecord;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns one attempt of one running job: prepares and starts its trainer, turns its events into job events,
 * acts on cancellation and timeouts (SIGTERM, then SIGKILL after the grace period), and when the trainer
 * exits decides how the attempt ended. Every decision is written to the store before it is acted on.
 */
final class Supervisor {

    private static final Logger LOG = LoggerFactory.getLogger(Supervisor.class);
    static final int STDERR_TAIL_LINES = 30;
    static final int STDERR_READ_LINES = 300;
    /**
     * The least a job may run past its reservation before it is stopped, per GPU: a short job's reservation is mostly
     * its start-up, whose length varies more than the margin allows.
     */
    static final double MIN_OVERRUN_GPU_HOURS = 0.05;

    private final Engine engine;
    private final String id;
    private final JobSpec spec;
    private final String runnerName;
    private final Runnable onDone;
    private final Path workdir;
    private final EventsTail tail;
    private final TrainerState state;
    private final CompletableFuture<Void> finished = new CompletableFuture<>();

    private Execution execution;
    private Executor executor;
    private TrainingRunner runner;
    private long offset;
    private int attempt;
    private Path stderr;
    private Instant attemptStart;
    private KernelOom.Mark oomMark;
    /** The trainer's processes on this host, as seen while it ran: what the kernel's OOM evidence must name. */
    private final java.util.Set<Long> trainerProcesses = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private int cancelsActedOn;
    private boolean pauseActedOn;
    private boolean timedOut;
    private boolean shuttingDown;
    private boolean reattached;
    /** Why a recovered job's trainer was not found, for its event. */
    private String gone = "the service restarted and the trainer was gone";
    /** Whether how the attempt ended is stored (not only decided). */
    private volatile boolean settled;
    /** Whether storing the end failed and is tried again later by this supervisor. */
    private volatile boolean recordPending;
    private boolean done;
    /** Whether the GPUs went back and waiters were told: once, however often the end is recorded. */
    private boolean released;
    private boolean charged;
    private boolean outputRegistered;
    private int recordTries;
    private final List<Integer> gpus;
    private final String node;
    private JobScheduler.Allocation reported;
    private String preemptedFor;
    private boolean overQuota;
    private int polls;
    private ScheduledFuture<?> poller;
    private ScheduledFuture<?> killTimer;
    private ScheduledFuture<?> deadline;

    private Supervisor(Engine engine, JobRecord record, List<Integer> gpus, Runnable onDone) {
        this.gpus = List.copyOf(gpus);
        this.node = record.job().placement() == null ? null : record.job().placement().node();
        this.engine = engine;
        this.id = record.id();
        this.spec = record.job().spec();
        this.runnerName = record.job().runner();
        this.onDone = onDone;
        this.workdir = engine.workdir(id);
        this.tail = new EventsTail(workdir.resolve("events.jsonl"), workdir, engine.clock);
        this.state = new TrainerState(record.job().progress(), record.job().lastCheckpoint());
        this.offset = record.eventsOffset();
        this.attempt = record.job().attempt();
        this.cancelsActedOn = 0;
    }

    /** A supervisor for a job just claimed (now RUNNING, no trainer yet) on the given GPUs. */
    static Supervisor forClaimed(Engine engine, JobRecord claimed, List<Integer> gpus, Runnable onDone) {
        return new Supervisor(engine, claimed, gpus, onDone);
    }

    /**
     * A supervisor for a job that was RUNNING when the service started: its trainer kept running (execution
     * given; call {@link #watch()}) or is gone (execution null; call {@link #finish} with an unknown exit).
     */
    static Supervisor recovered(Engine engine, JobRecord running, List<Integer> gpus, Executor executor,
            Execution execution, Runnable onDone, String gone) {
        Supervisor s = new Supervisor(engine, running, gpus, onDone);
        s.gone = gone;
        s.executor = executor;
        s.execution = execution;
        s.reattached = true;
        s.stderr = logFile(s.workdir, s.attempt, "stderr");
        s.attemptStart = engine.clock.instant();
        s.oomMark = execution == null ? null : KernelOom.mark();
        s.cancelsActedOn = 0;
        return s;
    }

    String jobId() {
        return id;
    }

    static Path logFile(Path workdir, int attempt, String stream) {
        return workdir.resolve("logs").resolve("attempt-" + attempt + "." + stream + ".log");
    }

    /** Prepares and starts the trainer; runs on a scheduler thread. */
    synchronized void launch() {
        attempt++;
        try {
            // The runner chosen when the job was submitted, not a new choice: the host may have changed since.
            TrainingRunner runner = runnerName != null ? engine.runnerNamed(runnerName) : engine.runnerFor(spec);
            executor = engine.executors.chosen();
            Path output = workdir.resolve("output");
            Files.createDirectories(output);
            Files.createDirectories(workdir.resolve("logs"));
            Path specFile = workdir.resolve("spec.json");
            if (!Files.exists(specFile)) {
                Files.writeString(specFile, Json.writePretty(spec));
            }
            Optional<Path> resume = Optional.ofNullable(state.lastCheckpoint).map(Path::of).filter(Files::isDirectory);
            stderr = logFile(workdir, attempt, "stderr");
            RunContext context = new RunContext(id, attempt, workdir, workdir.resolve("events.jsonl"), output,
                    logFile(workdir, attempt, "stdout"), stderr, resume, gpus,
                    message -> engine.update(id, JobStatus.RUNNING, JobUpdate.builder().build(),
                            List.of(engine.note(EventLevel.INFO, message, Map.of("phase", "prepare")))));
            this.runner = runner;
            LaunchPlan plan = withDevices(runner.prepare(spec, context));
            if (!plan.stderr().equals(stderr)) {
                stderr = plan.stderr();
            }
            oomMark = KernelOom.mark();
            execution = executor.start(plan);
            trainerProcesses.addAll(execution.localProcesses());
            attemptStart = engine.clock.instant();
            Map<String, Object> data = new HashMap<>();
            data.put("attempt", attempt);
            data.put("runner", runner.name());
            data.put("executor", executor.name());
            data.put("execution", execution.ref());
            resume.ifPresent(p -> data.put("resume_from", p.toString()));
            engine.update(id, JobStatus.RUNNING, JobUpdate.builder().attempt(attempt).runner(runner.name())
                    .execution(executor.name(), execution.ref()).build(), List.of(engine.note(EventLevel.INFO,
                            "trainer started (attempt " + attempt + ", " + execution + ")"
                                    + resume.map(p -> ", resuming from " + p).orElse(""), data)));
        } catch (TrainerFailedException e) {
            launchFailed(e.failure());
            return;
        } catch (IOException | RuntimeException e) {
            LOG.warn("job {}: cannot start its trainer", id, e);
            FailureCause cause = e instanceof PluginNotFoundException
                    ? FailureCause.PLUGIN_MISSING : FailureCause.LAUNCH_FAILED;
            launchFailed(JobFailure.of(cause, "could not start the trainer: " + e.getMessage()));
            return;
        }
        watch();
    }

    private void launchFailed(JobFailure failure) {
        try {
            Optional<JobRecord> current = engine.store.find(id);
            if (current.isEmpty()) {
                end(JobStatus.FAILED, JobUpdate.to(JobStatus.FAILED).failure(failure).clearExecution(),
                        EventLevel.ERROR, "failed (" + failure.cause().wireName() + "): " + failure.message());
            } else {
                retryOrFail(current.get().job(), failure);
            }
        } catch (RuntimeException e) {
            // the job stays RUNNING with no trainer: the worker's reconciler settles it
            LOG.error("job {}: could not record that its trainer did not start", id, e);
            done = true;
            release();
        }
    }

    /**
     * Sets CUDA_VISIBLE_DEVICES from the allocation, for every runner: the GPUs the scheduler gave the job, or none
     * for a CPU job (so it cannot touch the GPUs of other jobs). Left as it is when no GPUs were allocated to a GPU
     * job (no GPU scheduler installed). CUDA_DEVICE_ORDER is PCI_BUS_ID, so CUDA's indexes are NVML's.
     */
    private LaunchPlan withDevices(LaunchPlan plan) {
        Map<String, String> env = new LinkedHashMap<>(plan.env());
        // CUDA numbers GPUs fastest first by default; NVML (the pool) by PCI bus: the same index must be the same GPU
        env.put("CUDA_DEVICE_ORDER", "PCI_BUS_ID");
        if (!gpus.isEmpty()) {
            env.put("CUDA_VISIBLE_DEVICES", gpus.stream().map(String::valueOf)
                    .collect(Collectors.joining(",")));
        } else if (spec.resources().gpus() == 0) {
            env.put("CUDA_VISIBLE_DEVICES", "");
        }
        return plan.with(env, node == null ? null : new JobScheduler.Allocation(node, gpus));
    }

    /** Starts polling and waits for the trainer's exit. */
    synchronized void watch() {
        long every = engine.settings.pollInterval().toMillis();
        poller = engine.timers.scheduleWithFixedDelay(this::poll, 0, every, TimeUnit.MILLISECONDS);
        Integer limit = spec.resources().maxRuntimeMinutes();
        if (limit != null) {
            deadline = engine.timers.schedule(this::timeout,
                    limit * engine.settings.runtimeMinute().toMillis(), TimeUnit.MILLISECONDS);
        }
        execution.onExit().whenComplete((status, error) -> engine.timers.execute(
                () -> finish(status == null ? ExitStatus.UNKNOWN : status)));
    }

    private synchronized void poll() {
        if (done) {
            return;
        }
        try {
            drain();
            recordAllocation();
            ++polls;
            // the trainer's processes are listed by a walk of the host's process table: every 8th poll, not each
            if (polls % 8 == 1) {
                trainerProcesses.addAll(execution.localProcesses());
            }
            if (polls % 20 == 0) {
                checkQuota();
            }
            JobRecord current = engine.store.find(id).orElse(null);
            if (current != null && current.job().pauseRequested() && !pauseActedOn && cancelsActedOn == 0) {
                pauseActedOn = true;
                stopGently("pause requested");
            }
            if (current != null && current.cancelRequests() > cancelsActedOn) {
                int before = cancelsActedOn;
                cancelsActedOn = current.cancelRequests();
                if (before == 0 && !pauseActedOn) {
                    stopGently("cancellation requested");
                }
                if (before < 2 && cancelsActedOn >= 2) {
                    execution.kill();
                    engine.update(id, JobStatus.RUNNING, JobUpdate.builder().build(), List.of(engine.note(
                            EventLevel.WARN, "cancellation requested again: trainer killed at once (SIGKILL)",
                            Map.of())));
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("job {}: watching the trainer failed; will retry", id, e);
        }
    }

    /**
     * A cluster engine picks the GPU indexes on the node itself: once the execution knows them, they become the job's
     * placement, with an event, if they differ from the scheduler's.
     */
    private void recordAllocation() {
        Optional<JobScheduler.Allocation> actual = execution.allocation();
        if (actual.isEmpty() || actual.get().equals(reported)) {
            return;
        }
        reported = actual.get();
        if (reported.node().equals(node) && reported.gpus().equals(gpus)) {
            return;
        }
        engine.update(id, JobStatus.RUNNING, JobUpdate.builder().placement(new Placement(reported.node(),
                reported.gpus())).build(), List.of(engine.note(EventLevel.INFO, "running on node " + reported.node()
                        + (reported.gpus().isEmpty() ? "" : ", GPUs " + reported.gpus().stream().map(String::valueOf)
                                .collect(Collectors.joining(","))) + " (" + executor.name() + " chose them)",
                        Map.of("node", reported.node(), "gpus", reported.gpus()))));
    }

    private void stopGently(String why) {
        execution.terminate();
        long grace = engine.settings.cancelGrace().toSeconds();
        engine.update(id, JobStatus.RUNNING, JobUpdate.builder().build(), List.of(engine.note(EventLevel.INFO,
                why + ": SIGTERM sent; the trainer saves a checkpoint and stops (SIGKILL after " + grace + " s)",
                Map.of("grace_seconds", grace))));
        if (killTimer == null) {
            killTimer = engine.timers.schedule(this::graceOver, engine.settings.cancelGrace().toMillis(),
                    TimeUnit.MILLISECONDS);
        }
    }

    private synchronized void graceOver() {
        if (done) {
            return;
        }
        execution.kill();
        engine.update(id, JobStatus.RUNNING, JobUpdate.builder().build(), List.of(engine.note(EventLevel.WARN,
                "the trainer did not stop within the grace period; killed (SIGKILL to its process group)", Map.of())));
    }

    /** Stops a job that used more GPU-hours than it reserved, beyond the allowed margin. */
    private void checkQuota() {
        if (engine.ledger == null || spec.resources().gpus() == 0 || overQuota || state.completed) {
            return;
        }
        engine.ledger.entry(id).ifPresent(entry -> {
            double used = entry.usedGpuHours() + attemptGpuHours();
            double floor = MIN_OVERRUN_GPU_HOURS * spec.resources().gpus();
            double limit = Math.max(entry.reservedGpuHours() * (1 + engine.settings.quotaMargin()),
                    entry.reservedGpuHours() + floor);
            if (used > limit) {
                overQuota = true;
                stopGently(String.format(Locale.ROOT, "used %.3f GPU-h of the %.3f reserved (limit %.3f with "
                        + "the %.0f%% margin, at least %.0f GPU-minutes a GPU)", used, entry.reservedGpuHours(), limit,
                        100 * engine.settings.quotaMargin(), MIN_OVERRUN_GPU_HOURS * 60));
            }
        });
    }

    private double attemptGpuHours() {
        if (attemptStart == null) {
            return 0;
        }
        double hours = Duration.between(attemptStart, engine.clock.instant()).toMillis() / 3_600_000.0;
        return spec.resources().gpus() * hours;
    }

    /** Stops the trainer with a checkpoint so that a job of a higher tier can have its GPUs; the job is requeued. */
    synchronized void preempt(String forJobId) {
        if (done || preemptedFor != null) {
            return;
        }
        preemptedFor = forJobId;
        if (execution == null) {
            return;
        }
        stopGently("preempted for job " + forJobId);
    }

    private synchronized void timeout() {
        if (done) {
            return;
        }
        timedOut = true;
        stopGently("ran past max_runtime_minutes " + spec.resources().maxRuntimeMinutes());
    }

    /** Turns new lines of the events file into job events, storing them with the new offset. */
    private void drain() {
        EventsTail.Read read;
        try {
            read = tail.read(offset, state);
        } catch (IOException e) {
            LOG.warn("job {}: cannot read its events file: {}", id, e.toString());
            return;
        }
        if (read.offset() == offset && read.events().isEmpty()) {
            return;
        }
        JobUpdate.Builder u = JobUpdate.builder().eventsOffset(read.offset()).progress(state.progress);
        if (state.lastCheckpoint != null) {
            u.lastCheckpoint(state.lastCheckpoint);
        }
        Optional<Updated> stored = engine.update(id, JobStatus.RUNNING, u.build(), read.events());
        if (stored.isPresent()) {
            offset = read.offset();
            for (TrainerState.Written w : state.written) {
                engine.registerLater(stored.get().record().job(), w);
            }
        }
        state.written.clear();
    }

    /** Decides how the attempt ended. */
    synchronized void finish(ExitStatus exit) {
        if (done) {
            return;
        }
        done = true;
        for (ScheduledFuture<?> f : new ScheduledFuture<?>[] {poller, killTimer, deadline}) {
            if (f != null) {
                f.cancel(false);
            }
        }
        record(exit);
    }

    /**
     * Decides how the attempt ended and stores it. When the store refuses (busy, a full disk), the trainer's GPUs
     * go back all the same, and the decision is made and stored again, with a growing wait, until it sticks: the
     * job never stays RUNNING without a trainer, and a cancel asked for meanwhile is acted on.
     */
    private synchronized void record(ExitStatus exit) {
        recordPending = false;
        try {
            drain();
            if (!charged && engine.ledger != null && spec.resources().gpus() > 0) {
                engine.ledger.charge(id, attemptGpuHours());
                charged = true;
            }
            JobRecord current = engine.store.find(id).orElseThrow();
            // read further back than the tail a failure keeps: a launcher of several processes ends with a long summary
            List<String> stderrRead = stderrTail(stderr, STDERR_READ_LINES);
            List<String> stderrTail = lastLines(stderrRead);
            String checkpoint = state.lastCheckpoint == null ? "no checkpoint was written"
                    : "checkpoint kept at " + state.lastCheckpoint;
            JobStatus outcome;
            // A trainer that reported its output and then exited on a stop the service sent itself (a limit reached
            // as it finished) still finished the job.
            boolean stoppedByUs = overQuota || timedOut || preemptedFor != null || shuttingDown;
            if (state.completed && (exit.success() || exit.exitCode().isEmpty() || (stoppedByUs && exit.cause() == null
                    && state.errorKind == null))) {
                if (!outputRegistered) {
                    engine.registerOutput(current.job(), state.output, state.metrics());
                    outputRegistered = true;
                }
                outcome = end(JobStatus.SUCCEEDED, JobUpdate.to(JobStatus.SUCCEEDED).output(state.output)
                        .progress(state.withAverageThroughput()).clearExecution(), EventLevel.INFO,
                        "succeeded: output in " + state.output);
            } else if (current.cancelRequests() > 0) {
                outcome = end(JobStatus.CANCELLED, JobUpdate.to(JobStatus.CANCELLED).clearExecution(), EventLevel.INFO,
                        "cancelled at step " + step() + "; " + checkpoint);
            } else if (current.job().pauseRequested()) {
                outcome = end(JobStatus.PAUSED, JobUpdate.to(JobStatus.PAUSED).clearExecution(), EventLevel.INFO,
                        "paused at step " + step() + "; " + checkpoint + "; resume goes on from it");
            } else if (overQuota) {
                outcome = end(JobStatus.FAILED, JobUpdate.to(JobStatus.FAILED).failure(new JobFailure(
                        FailureCause.QUOTA_EXCEEDED, "used more GPU-hours than it reserved; " + checkpoint
                                + "; resume it once the estimate or the budget allows", stderrTail)).clearExecution(),
                        EventLevel.ERROR, "failed: used more GPU-hours than it reserved; " + checkpoint);
            } else if (preemptedFor != null) {
                String from = state.lastCheckpoint == null ? "it starts over" : "it resumes from " + state.lastCheckpoint;
                outcome = end(JobStatus.QUEUED, JobUpdate.to(JobStatus.QUEUED).clearExecution(), EventLevel.WARN,
                        "preempted for job " + preemptedFor + "; queued again: " + from);
            } else if (timedOut) {
                outcome = end(JobStatus.FAILED, JobUpdate.to(JobStatus.FAILED).failure(new JobFailure(
                        FailureCause.TIMEOUT, "ran past max_runtime_minutes " + spec.resources().maxRuntimeMinutes()
                                + "; " + checkpoint, stderrTail)).clearExecution(), EventLevel.ERROR,
                        "failed: ran past its max runtime; " + checkpoint);
            } else if (shuttingDown || (reattached && exit.exitCode().isEmpty() && state.errorKind == null)) {
                outcome = requeueOrFail(shuttingDown ? "the service stopped while the job ran"
                        : execution == null ? gone
                        : "the trainer ended while the service was away");
            } else if (exit.cause() == FailureCause.HOST_RESTART && state.errorKind == null) {
                outcome = requeueOrFail(exit.reason() == null ? "the trainer's host went away" : exit.reason());
            } else {
                Optional<String> oom = exit.signal().orElse(0) == 9 && oomMark != null
                        ? KernelOom.since(oomMark, trainerProcesses) : Optional.empty();
                JobFailure read = FailureClassifier.classify(state, exit, stderrRead, runnerOrNull(), oom);
                JobFailure failure = new JobFailure(read.cause(), read.message(), lastLines(read.logTail()));
                outcome = retryOrFail(current.job(), failure);
            }
            engine.bus.usage(usage(current, outcome));
            settled = true;
            release();
        } catch (RuntimeException e) {
            long wait = Math.min(60_000, 500L << Math.min(recordTries++, 7));
            LOG.error("job {}: could not record how its trainer ended; trying again in {} ms", id, wait, e);
            recordPending = true;
            release();
            try {
                engine.timers.schedule(() -> record(exit), wait, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException closing) {
                recordPending = false;
                LOG.warn("job {}: the service is closing; its end is settled when a worker starts again", id);
            }
        }
    }

    /**
     * @return whether this supervisor still owns the job after giving its GPUs back: its end is not stored yet and
     *     it will try again (the reconciler leaves such a job alone)
     */
    boolean settling() {
        return !settled && recordPending;
    }

    /** Gives the attempt's GPUs back and tells waiters, once. */
    private void release() {
        if (!released) {
            released = true;
            finished.complete(null);
            onDone.run();
        }
    }

    private static List<String> lastLines(List<String> lines) {
        return lines.subList(Math.max(0, lines.size() - STDERR_TAIL_LINES), lines.size());
    }

    private TrainingRunner runnerOrNull() {
        if (runner != null) {
            return runner;
        }
        try {
            return runnerName != null ? engine.runnerNamed(runnerName) : engine.runnerFor(spec);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * A failed attempt: queued again after the policy's backoff when its cause is transient and the job has retries
     * left (it resumes from its last checkpoint), else the job fails.
     */
    private JobStatus retryOrFail(Job job, JobFailure failure) {
        RetryPolicy policy = engine.settings.retry();
        Integer jobMax = spec.resources().maxRetries();
        Optional<Duration> wait = policy.retryAfter(failure.cause(), job.retries(), jobMax);
        String cause = failure.cause().wireName();
        if (wait.isEmpty()) {
            String after = job.retries() == 0 ? "" : " (after " + job.retries() + (job.retries() == 1 ? " retry)"
                    : " retries)");
            return end(JobStatus.FAILED, JobUpdate.to(JobStatus.FAILED).failure(failure).clearExecution(),
                    EventLevel.ERROR, "failed (" + cause + ")" + after + ": " + failure.message());
        }
        int retry = job.retries() + 1;
        int limit = policy.limit(jobMax);
        Instant notBefore = engine.clock.instant().plus(wait.get());
        String from = state.lastCheckpointStep >= 0 ? "from its checkpoint at step " + state.lastCheckpointStep
                : state.lastCheckpoint != null ? "from its last checkpoint" : "from the start (no checkpoint yet)";
        long ms = wait.get().toMillis();
        String seconds = ms < 10_000 ? String.format(Locale.ROOT, "%.1f s", ms / 1000.0) : ms / 1000 + " s";
        return end(JobStatus.QUEUED, JobUpdate.to(JobStatus.QUEUED).retries(retry).notBefore(notBefore)
                .queueReason("retry " + retry + " of " + limit + " after " + cause + ", in " + seconds)
                .clearExecution(), EventLevel.WARN, "attempt " + attempt + " failed (" + cause + "): "
                        + failure.message() + "; retry " + retry + " of " + limit + " in " + seconds + ", " + from);
    }

    /** After losing the trainer (shutdown, host restart): queue again to resume, or fail, by policy. */
    private JobStatus requeueOrFail(String reason) {
        if (shuttingDown || engine.settings.recovery() == RecoveryPolicy.RESUME) {
            String from = state.lastCheckpoint == null ? "it starts over (no checkpoint yet)"
                    : "it resumes from " + state.lastCheckpoint;
            return end(JobStatus.QUEUED, JobUpdate.to(JobStatus.QUEUED).clearExecution(), EventLevel.WARN,
                    reason + "; queued again: " + from + " when a worker runs it");
        }
        return end(JobStatus.FAILED, JobUpdate.to(JobStatus.FAILED).failure(JobFailure.of(FailureCause.HOST_RESTART,
                reason + "; the recovery policy is to fail such jobs")).clearExecution(), EventLevel.ERROR,
                "failed (host_restart): " + reason);
    }

    private JobStatus end(JobStatus to, JobUpdate.Builder update, EventLevel level, String message) {
        if (to.isTerminal() && engine.ledger != null) {
            // settled first, so whoever sees the job end also sees what it was charged
            engine.ledger.settle(id);
        }
        engine.move(id, JobStatus.RUNNING, update, level, message);
        done = true;
        settled = true;
        release();
        return to;
    }

    private Object step() {
        return state.progress.step() == null ? 0 : state.progress.step();
    }

    /** @return the model name of the first GPU the job was given, as the pool reports it */
    private Optional<String> gpuName(JobRecord record) {
        if (this.gpus.isEmpty()) {
            return Optional.empty();
        }
        String node = record.job().placement() == null ? null : record.job().placement().node();
        return engine.pool().stream().filter(n -> node == null || n.name().equals(node))
                .flatMap(n -> n.gpus().stream()).filter(g -> g.index() == this.gpus.get(0))
                .map(GpuDevice::name).findFirst();
    }

    private UsageRecord usage(JobRecord record, JobStatus outcome) {
        Instant end = engine.clock.instant();
        Instant start = attemptStart == null ? end : attemptStart;
        double wall = Duration.between(start, end).toMillis() / 1000.0;
        int gpus = spec.resources().gpus();
        String type = gpus == 0 ? "cpu" : gpuName(record).orElse(spec.resources().gpuType() == null ? "gpu"
                : spec.resources().gpuType());
        long tokens = state.progress.tokens() == null ? 0 : state.progress.tokens();
        return new UsageRecord(spec.tenant(), id, attempt, type, gpus, gpus * wall, wall, tokens, start, end, outcome);
    }

    /**
     * Stops the trainer because the service is closing: SIGTERM, then SIGKILL after the grace period. The job
     * is queued again to resume from its checkpoint, unless it finished meanwhile.
     */
    void shutdown(Duration grace) {
        synchronized (this) {
            if (done) {
                return;
            }
            shuttingDown = true;
            if (execution != null) {
                execution.terminate();
            }
        }
        try {
            finished.get(grace.toMillis(), TimeUnit.MILLISECONDS);
            return;
        } catch (TimeoutException e) {
            LOG.warn("job {}: trainer did not stop within {} s of shutdown; killing it", id, grace.toSeconds());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            return;
        }
        synchronized (this) {
            if (execution != null) {
                execution.kill();
            }
        }
        try {
            finished.get(10, TimeUnit.SECONDS);
        } catch (TimeoutException | ExecutionException e) {
            LOG.warn("job {}: trainer still not gone after SIGKILL", id);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The last lines of a log file, read from its end. A line that progress bars rewrote with carriage returns
     * (tqdm, as axolotl and the Hugging Face libraries print) counts as what a terminal would show: the text
     * after its last carriage return that is not blank.
     */
    static List<String> stderrTail(Path file, int lines) {
        if (file == null || !Files.isRegularFile(file)) {
            return List.of();
        }
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long length = f.length();
            int size = (int) Math.min(length, 256 * 1024);
            byte[] buf = new byte[size];
            f.seek(length - size);
            f.readFully(buf);
            String text = new String(buf, StandardCharsets.UTF_8);
            List<String> all = new ArrayList<>(List.of(text.split("\n")));
            if (size < length && !all.isEmpty()) {
                all.remove(0);
            }
            all.replaceAll(Supervisor::shownPart);
            all.removeIf(String::isBlank);
            return List.copyOf(all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return List.of("(cannot read " + file + ": " + e.getMessage() + ")");
        }
    }

    private static String shownPart(String line) {
        String[] parts = line.split("\r");
        for (int i = parts.length - 1; i >= 0; i--) {
            if (!parts[i].isBlank()) {
                return parts[i];
            }
        }
        return "";
    }
}
