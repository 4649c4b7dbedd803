package dev.koder.training.core;

import dev.koder.training.api.EventLevel;
import dev.koder.training.api.FailureCause;
import dev.koder.training.api.GpuDevice;
import dev.koder.training.api.Hyperparameters;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobFailure;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Placement;
import dev.koder.training.api.PluginNotFoundException;
import dev.koder.training.api.TrainerFailedException;
import dev.koder.training.spi.AttemptPhase;
import dev.koder.training.spi.Backoff;
import dev.koder.training.spi.Execution;
import dev.koder.training.spi.Executor;
import dev.koder.training.spi.ExitStatus;
import dev.koder.training.spi.JobRecord;
import dev.koder.training.spi.JobScheduler;
import dev.koder.training.spi.JobUpdate;
import dev.koder.training.spi.Json;
import dev.koder.training.spi.LaunchPlan;
import dev.koder.training.spi.NewEvent;
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
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns one attempt of one running job: prepares and starts its trainer, turns its events into job events,
 * acts on cancellation and timeouts (SIGTERM, then SIGKILL after the grace period), and when the trainer
 * exits decides how the attempt ended ({@link AttemptEnd#decide}). The attempt moves through the phases of
 * {@link AttemptPhase}, each stored before the step it leads to: PLANNED (claimed), LAUNCHING (a launch token
 * stored, then the executor asked to start a trainer with it), RUNNING (the execution's reference stored),
 * FINISHING (the trainer ended; its checkpoints registered, its usage charged, its output registered, its end
 * stored), ENDED.
 */
final class Supervisor {

    private static final Logger LOG = LoggerFactory.getLogger(Supervisor.class);
    /** Storing an attempt's end again after the store refused it: from 0.5 s, doubling, up to a minute apart. */
    static final Backoff RECORD_RETRY = new Backoff(Duration.ofMillis(500), Duration.ofMinutes(1));
    static final int STDERR_TAIL_LINES = 30;
    static final int STDERR_READ_LINES = 300;
    /**
     * The least a job may run past its reservation before it is stopped, per GPU: a short job's reservation is mostly
     * its start-up, whose length varies more than the margin allows.
     */
    static final double MIN_OVERRUN_GPU_HOURS = 0.05;
    /** How long a job's end waits for its checkpoints' registrations before the job's events say so. */
    static final Duration REGISTRATION_NOTE = Duration.ofSeconds(2);

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
    /** Where the attempt stands; FINISHING and ENDED mean this supervisor is done with the trainer. */
    private AttemptPhase phase;
    private String launchToken;
    /** When the attempt's launch began, as stored: its GPU-hours count from then. */
    private Instant attemptStart;
    private KernelOom.Mark oomMark;
    /** The trainer's processes on this host, as seen while it ran: what the kernel's OOM evidence must name. */
    private final java.util.Set<Long> trainerProcesses = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private int cancelsActedOn;
    private boolean pauseActedOn;
    /** The first stop the service sent the trainer itself, or null. */
    private AttemptEnd.StopReason stop;
    /** Whether this supervisor took the job over (a restart, the reconciler) rather than launching it. */
    private boolean recovered;
    /** Whether no trainer was ever started for the attempt. */
    private boolean neverStarted;
    /** The phase the attempt was stored in when this supervisor took it over, or null. */
    private AttemptPhase recoveredPhase;
    /** Why a recovered job's trainer was not found, for its event. */
    private String gone = "the service restarted and the trainer was gone";
    /** Whether how the attempt ended is stored (not only decided). */
    private volatile boolean settled;
    /** While the end of an attempt is stored: the job as it was, for the usage stored with the end. */
    private JobRecord ending;
    /** Whether storing the end failed and is tried again later by this supervisor. */
    private volatile boolean recordPending;
    private boolean outputRegistered;
    /** The attempt's checkpoint registrations under way: the job's end is stored once they are done. */
    private final List<CompletableFuture<Void>> registering = new ArrayList<>();
    /** Whether the end waited for them already (once: one that outlasts the wait is told after the end). */
    private boolean registrationsAwaited;
    /**
     * When the attempt's GPUs went back and waiters were told (once, however often the end is recorded), or null:
     * its GPU time counts to then, not to when its end is stored.
     */
    private Instant releasedAt;
    private boolean peakNoted;
    private int recordTries;
    private final List<Integer> gpus;
    private final String node;
    private JobScheduler.Allocation reported;
    private String preemptedFor;
    private int polls;
    private ScheduledFuture<?> poller;
    private ScheduledFuture<?> killTimer;
    private ScheduledFuture<?> deadline;
    /** Whether this instance stopped supervising the job (it lost the worker lease): nothing more is done or stored. */
    private volatile boolean detached;

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
        this.phase = record.phase() == null ? AttemptPhase.PLANNED : record.phase();
        this.launchToken = record.launchToken();
        this.attemptStart = record.launchedAt();
    }

    /** A supervisor for a job just claimed (now RUNNING, no trainer yet) on the given GPUs. */
    static Supervisor forClaimed(Engine engine, JobRecord claimed, List<Integer> gpus, Runnable onDone) {
        return new Supervisor(engine, claimed, gpus, onDone);
    }

    /**
     * A supervisor for a job that was RUNNING when the service started: its trainer kept running (execution
     * given; call {@link #watch()}) or is gone (execution null; call {@link #finish} with an unknown exit).
     *
     * @param neverStarted whether no trainer was ever started for its attempt (it was PLANNED, or LAUNCHING and
     *     the executor knows no trainer by its token)
     */
    static Supervisor recovered(Engine engine, JobRecord running, List<Integer> gpus, Executor executor,
            Execution execution, Runnable onDone, String gone, boolean neverStarted) {
        Supervisor s = new Supervisor(engine, running, gpus, onDone);
        s.gone = gone;
        s.executor = executor;
        s.execution = execution;
        s.recovered = true;
        s.neverStarted = neverStarted;
        s.recoveredPhase = running.phase();
        s.phase = AttemptPhase.RUNNING; // watched or settled from here, whatever phase it was stored in
        s.stderr = logFile(s.workdir, s.attempt, "stderr");
        if (s.attemptStart == null && !neverStarted) {
            s.attemptStart = engine.clock.instant(); // stored before launches had a time: from now
        }
        s.oomMark = execution == null ? null : KernelOom.mark();
        s.replayEnd();
        if (execution != null) {
            s.trainerProcesses.addAll(execution.localProcesses());
        }
        return s;
    }

    /**
     * What the current attempt's trainer reported of its end before the service lost track of it (events already
     * turned into job events are past the stored offset): the events file read again from its start, where each
     * trainer start begins an attempt afresh.
     */
    private void replayEnd() {
        TrainerState seen = new TrainerState(null, null);
        try {
            tail.read(0, seen);
        } catch (IOException e) {
            LOG.warn("job {}: cannot read its events file again: {}", id, e.toString());
            return;
        }
        state.completed = seen.completed;
        state.output = seen.output;
        state.selected = seen.selected;
        state.errorKind = seen.errorKind;
        state.errorMessage = seen.errorMessage;
        state.checkpointAt = seen.checkpointAt;
        if (neverStarted && seen.startedAt != null && attemptStart != null && !seen.startedAt.isBefore(attemptStart)) {
            // no trainer carries the token now, but one did: it started after this launch began, and ended
            neverStarted = false;
        }
    }

    /** Whether the supervisor is done with its trainer: the attempt is finishing or ended. */
    private boolean over() {
        return detached || phase == AttemptPhase.FINISHING || phase == AttemptPhase.ENDED;
    }

    /**
     * Stops supervising without touching the store: this instance lost the worker lease, and the instance that takes
     * it over adopts the job as it stands (a trainer not yet started is never started here). A trainer whose processes
     * run on this host is asked to stop with a checkpoint (SIGTERM): the next holder may be on another host, where it
     * cannot watch it, and would start the job again from its checkpoint beside it. A trainer elsewhere (a Slurm job)
     * runs on for the next holder to watch.
     */
    synchronized void detach() {
        if (execution != null && !execution.localProcesses().isEmpty()) {
            execution.terminate();
        }
        detached = true;
        for (ScheduledFuture<?> f : new ScheduledFuture<?>[] {poller, killTimer, deadline}) {
            if (f != null) {
                f.cancel(false);
            }
        }
        finished.complete(null);
    }

    String jobId() {
        return id;
    }

    static Path logFile(Path workdir, int attempt, String stream) {
        return workdir.resolve("logs").resolve("attempt-" + attempt + "." + stream + ".log");
    }

    /** Prepares and starts the trainer; runs on a scheduler thread. */
    synchronized void launch() {
        if (detached) {
            return;
        }
        attempt++;
        try {
            // The runner chosen when the job was submitted, not a new choice: the host may have changed since.
            TrainingRunner runner = runnerName != null ? engine.runnerNamed(runnerName) : engine.runnerFor(spec);
            executor = engine.executors.chosen();
            Path output = workdir.resolve("output");
            Files.createDirectories(output);
            Files.createDirectories(workdir.resolve("logs"));
            // the spec this attempt runs (a retry after running out of memory may have halved its micro-batch)
            Files.writeString(workdir.resolve("spec.json"), Json.writePretty(spec));
            Optional<Path> resume = Optional.ofNullable(state.lastCheckpoint).map(Path::of).filter(Files::isDirectory);
            endLastLine(workdir.resolve("events.jsonl"));
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
            // The launch record, stored before anything is started: a service that dies from here on finds the token
            // and asks the executor for a trainer by it, rather than starting a second one.
            launchToken = id + "-" + attempt + "-" + Long.toHexString(java.util.concurrent.ThreadLocalRandom.current()
                    .nextLong() & Long.MAX_VALUE);
            attemptStart = engine.clock.instant();
            phase = AttemptPhase.LAUNCHING;
            engine.update(id, JobStatus.RUNNING, JobUpdate.builder().attempt(attempt).runner(runner.name())
                    .execution(executor.name(), null).phase(AttemptPhase.LAUNCHING).launch(launchToken, attemptStart)
                    .build(), List.of());
            oomMark = KernelOom.mark();
            execution = executor.start(plan.withLaunchToken(launchToken));
            trainerProcesses.addAll(execution.localProcesses());
            phase = AttemptPhase.RUNNING;
            Map<String, Object> data = new HashMap<>();
            data.put("attempt", attempt);
            data.put("runner", runner.name());
            data.put("executor", executor.name());
            data.put("execution", execution.ref());
            resume.ifPresent(p -> data.put("resume_from", p.toString()));
            engine.update(id, JobStatus.RUNNING, JobUpdate.builder().phase(AttemptPhase.RUNNING)
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
            phase = AttemptPhase.FINISHING;
            release();
        }
    }

    /**
     * Ends the events file's last line, when a trainer killed while writing it left it unfinished: the next attempt's
     * first event must start a line of its own, not be swallowed by the broken one.
     */
    static void endLastLine(Path events) throws IOException {
        if (!Files.isRegularFile(events) || Files.size(events) == 0) {
            return;
        }
        try (RandomAccessFile f = new RandomAccessFile(events.toFile(), "rw")) {
            f.seek(f.length() - 1);
            if (f.read() != '\n') {
                f.seek(f.length());
                f.write('\n');
            }
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
            env.put(LaunchPlan.CPU_THREADS_ENV, Integer.toString(engine.settings.cpuThreadsPerJob()));
        }
        return plan.with(env, node == null ? null : new JobScheduler.Allocation(node, gpus));
    }

    /** Starts polling and waits for the trainer's exit. */
    synchronized void watch() {
        if (detached) {
            return;
        }
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
        if (over()) {
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
                stopFor(AttemptEnd.StopReason.PAUSE);
                stopGently("pause requested");
            }
            if (current != null && current.cancelRequests() > cancelsActedOn) {
                int before = cancelsActedOn;
                cancelsActedOn = current.cancelRequests();
                if (before == 0 && !pauseActedOn) {
                    stopFor(AttemptEnd.StopReason.CANCEL);
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

    /** Records the first reason the service stopped the trainer for. */
    private void stopFor(AttemptEnd.StopReason reason) {
        if (stop == null) {
            stop = reason;
        }
    }

    private synchronized void graceOver() {
        if (over()) {
            return;
        }
        execution.kill();
        engine.update(id, JobStatus.RUNNING, JobUpdate.builder().build(), List.of(engine.note(EventLevel.WARN,
                "the trainer did not stop within the grace period; killed (SIGKILL to its process group)", Map.of())));
    }

    /** Stops a job that used more GPU-hours than it reserved, beyond the allowed margin. */
    private void checkQuota() {
        if (engine.ledger == null || spec.resources().gpus() == 0 || stop == AttemptEnd.StopReason.QUOTA
                || state.completed) {
            return;
        }
        engine.ledger.entry(id).ifPresent(entry -> {
            double used = entry.usedGpuHours() + attemptGpuHours(engine.clock.instant());
            double floor = MIN_OVERRUN_GPU_HOURS * spec.resources().gpus();
            double limit = Math.max(entry.reservedGpuHours() * (1 + engine.settings.quotaMargin()),
                    entry.reservedGpuHours() + floor);
            if (used > limit) {
                stopFor(AttemptEnd.StopReason.QUOTA);
                stopGently(String.format(Locale.ROOT, "used %.3f GPU-h of the %.3f reserved (limit %.3f with "
                        + "the %.0f%% margin, at least %.0f GPU-minutes a GPU)", used, entry.reservedGpuHours(), limit,
                        100 * engine.settings.quotaMargin(), MIN_OVERRUN_GPU_HOURS * 60));
            }
        });
    }

    /** @param until the end of the span @return the GPU-hours of the attempt from its launch to then */
    private double attemptGpuHours(Instant until) {
        if (attemptStart == null || until.isBefore(attemptStart)) {
            return 0;
        }
        double hours = Duration.between(attemptStart, until).toMillis() / 3_600_000.0;
        return spec.resources().gpus() * hours;
    }

    /** Stops the trainer with a checkpoint so that a job of a higher tier can have its GPUs; the job is requeued. */
    synchronized void preempt(String forJobId) {
        if (over() || preemptedFor != null) {
            return;
        }
        preemptedFor = forJobId;
        stopFor(AttemptEnd.StopReason.PREEMPT);
        if (execution == null) {
            return;
        }
        stopGently("preempted for job " + forJobId);
    }

    private synchronized void timeout() {
        if (over()) {
            return;
        }
        stopFor(AttemptEnd.StopReason.TIMEOUT);
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
            registering.removeIf(CompletableFuture::isDone);
            for (TrainerState.Written w : state.written) {
                registering.add(engine.registerLater(stored.get().record().job(), w));
            }
        }
        state.written.clear();
    }

    /** Decides how the attempt ended. */
    synchronized void finish(ExitStatus exit) {
        if (over()) {
            return;
        }
        phase = AttemptPhase.FINISHING;
        for (ScheduledFuture<?> f : new ScheduledFuture<?>[] {poller, killTimer, deadline}) {
            if (f != null) {
                f.cancel(false);
            }
        }
        record(exit);
    }

    /**
     * Decides how the attempt ended and stores it: FINISHING first, then (once the checkpoints the trainer wrote are
     * registered) the attempt's GPU-hours (set, not added, so a second try does not count them twice), the output,
     * the end. When the store refuses (busy, a full disk), the trainer's GPUs go back all the same, and the decision
     * is made and stored again, with a growing wait ({@link Backoff}), until it sticks: the job never stays RUNNING
     * without a trainer, and a cancel asked for meanwhile is acted on.
     */
    private synchronized void record(ExitStatus exit) {
        if (detached) {
            return;
        }
        try {
            drain();
            engine.update(id, JobStatus.RUNNING, JobUpdate.builder().phase(AttemptPhase.FINISHING).build(), List.of());
            if (awaitRegistrations(exit)) {
                return;
            }
            JobRecord current = engine.store.find(id).orElseThrow();
            AttemptEnd.Outcome decided = AttemptEnd.decide(new AttemptEnd.Facts(state.completed, exit,
                    state.errorKind != null, stop, current.cancelRequests() > 0, current.job().pauseRequested(),
                    recovered, neverStarted));
            ending = current;
            try {
                settle(decided, current, exit);
            } finally {
                ending = null;
            }
            settled = true;
            // cleared only now: the reconciler takes over a job whose supervisor is neither running nor settling
            recordPending = false;
            release();
        } catch (RuntimeException e) {
            Duration wait = RECORD_RETRY.delay(recordTries++);
            LOG.error("job {}: could not record how its trainer ended; trying again in {} ms", id, wait.toMillis(), e);
            recordPending = true;
            release();
            try {
                engine.timers.schedule(() -> record(exit), wait.toMillis(), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException closing) {
                recordPending = false;
                LOG.warn("job {}: the service is closing; its end is settled when a worker starts again", id);
            }
        }
    }

    /**
     * Stores the attempt's end only once the checkpoints its trainer wrote are registered (in the background, on the
     * registry's thread): the end is then the job's last event, what a listener in another process stops reading at,
     * and a resumed or retried attempt finds its checkpoint in the registry. The trainer is gone, so its GPUs go back
     * now, and its GPU time counts to then; no thread waits. After {@link Settings#registrationWait} the end is
     * stored all the same, and the registration still under way is told after it.
     *
     * @return whether the end is stored later, when the registrations are done
     */
    private boolean awaitRegistrations(ExitStatus exit) {
        registering.removeIf(CompletableFuture::isDone);
        if (registering.isEmpty()) {
            return false;
        }
        int pending = registering.size();
        if (registrationsAwaited) {
            engine.note(id, engine.note(EventLevel.WARN, "the job ends before " + checkpoints(pending) + " registered ("
                    + "waited " + span(engine.settings.registrationWait()) + ", "
                    + Training.REGISTRATION_WAIT_PROPERTY + "); the next event of the job tells when "
                    + (pending == 1 ? "it is" : "they are"), Map.of("registrations", pending)));
            registering.clear();
            return false;
        }
        registrationsAwaited = true;
        recordPending = true;
        release();
        ScheduledFuture<?> tell;
        try {
            tell = engine.timers.schedule(() -> tellAwaiting(pending), REGISTRATION_NOTE.toMillis(),
                    TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closing) {
            tell = null;
        }
        ScheduledFuture<?> told = tell;
        CompletableFuture.allOf(registering.toArray(CompletableFuture[]::new))
                .completeOnTimeout(null, engine.settings.registrationWait().toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((done, error) -> {
                    if (told != null) {
                        told.cancel(false);
                    }
                    try {
                        engine.timers.execute(() -> record(exit));
                    } catch (RejectedExecutionException closing) {
                        // the service is closing and waits for the registry's thread: the end is stored from here
                        record(exit);
                    }
                });
        return true;
    }

    private synchronized void tellAwaiting(int pending) {
        if (!settled && !detached) {
            engine.note(id, engine.note(EventLevel.INFO, "the trainer ended; the job ends once " + checkpoints(pending)
                    + " registered", Map.of("registrations", pending)));
        }
    }

    private static String span(Duration d) {
        return d.toSeconds() < 120 ? d.toSeconds() + " s" : d.toMinutes() + " min";
    }

    private static String checkpoints(int n) {
        return n == 1 ? "its checkpoint is" : "its " + n + " checkpoints are";
    }

    /** Charges the attempt, registers its output when it succeeded, and stores the outcome decided. */
    private JobStatus settle(AttemptEnd.Outcome decided, JobRecord current, ExitStatus exit) {
        // read further back than the tail a failure keeps: a launcher of several processes ends with a long summary
        List<String> stderrRead = stderrTail(stderr, STDERR_READ_LINES);
        List<String> stderrTail = lastLines(stderrRead);
        String checkpoint = state.lastCheckpoint == null ? "no checkpoint was written"
                : "checkpoint kept at " + state.lastCheckpoint;
        JobFailure failure = null;
        notePeakMemory();
        if (decided == AttemptEnd.Outcome.FAILED) {
            Optional<String> oom = exit.signal().orElse(0) == 9 ? oomEvidence() : Optional.empty();
            JobFailure read = FailureClassifier.classify(state, exit, stderrRead, runnerOrNull(), oom);
            failure = new JobFailure(read.cause(), read.message(), lastLines(read.logTail()));
        }
        boolean retried = failure != null && retryWait(current.job(), failure).isPresent();
        boolean repeated = retried || decided == AttemptEnd.Outcome.LOST || decided == AttemptEnd.Outcome.HOST_GONE;
        charge(repeated);
        return switch (decided) {
            case SUCCEEDED -> {
                if (!outputRegistered) {
                    engine.registerOutput(current.job(), state.output, state.selected, state.metrics());
                    outputRegistered = true;
                }
                yield end(JobStatus.SUCCEEDED, JobUpdate.to(JobStatus.SUCCEEDED).output(state.output)
                        .progress(state.withAverageThroughput()).clearExecution(), EventLevel.INFO,
                        "succeeded: output in " + state.output);
            }
            case CANCELLED -> end(JobStatus.CANCELLED, JobUpdate.to(JobStatus.CANCELLED).clearExecution(),
                    EventLevel.INFO, "cancelled at step " + step() + "; " + checkpoint);
            case PAUSED -> end(JobStatus.PAUSED, JobUpdate.to(JobStatus.PAUSED).clearExecution(), EventLevel.INFO,
                    "paused at step " + step() + "; " + checkpoint + "; resume goes on from it");
            case OVER_QUOTA -> end(JobStatus.FAILED, JobUpdate.to(JobStatus.FAILED).failure(new JobFailure(
                    FailureCause.QUOTA_EXCEEDED, "used more GPU-hours than it reserved; " + checkpoint
                            + "; resume it once the estimate or the budget allows", stderrTail)).clearExecution(),
                    EventLevel.ERROR, "failed: used more GPU-hours than it reserved; " + checkpoint);
            case PREEMPTED -> end(JobStatus.QUEUED, JobUpdate.to(JobStatus.QUEUED).clearExecution(), EventLevel.WARN,
                    "preempted for job " + preemptedFor + "; queued again: " + (state.lastCheckpoint == null
                            ? "it starts over" : "it resumes from " + state.lastCheckpoint));
            case TIMED_OUT -> end(JobStatus.FAILED, JobUpdate.to(JobStatus.FAILED).failure(new JobFailure(
                    FailureCause.TIMEOUT, "ran past max_runtime_minutes " + spec.resources().maxRuntimeMinutes()
                            + "; " + checkpoint, stderrTail)).clearExecution(), EventLevel.ERROR,
                    "failed: ran past its max runtime; " + checkpoint);
            case NOT_STARTED -> end(JobStatus.QUEUED, JobUpdate.to(JobStatus.QUEUED).attempt(recoveredPhase
                    == AttemptPhase.LAUNCHING ? Math.max(0, attempt - 1) : attempt).clearExecution(), EventLevel.WARN,
                    gone + " before its trainer was started (no trainer carries its launch token); queued again");
            case LOST -> requeueOrFail(stop == AttemptEnd.StopReason.SHUTDOWN ? "the service stopped while the job ran"
                    : execution == null ? gone : "the trainer ended while the service was away");
            case HOST_GONE -> requeueOrFail(exit.reason() == null ? "the trainer's host went away" : exit.reason());
            case FAILED -> retryOrFail(current.job(), failure);
        };
    }

    /**
     * @return what shows the kernel's out-of-memory killer stopped the trainer: the count of the trainer's own memory
     *     cgroup when the executor gave it one, else the kernel's records since the attempt began that name its
     *     processes
     */
    private Optional<String> oomEvidence() {
        if (execution != null && execution.oomKills().orElse(0) > 0) {
            return Optional.of("its own memory cgroup, limited to " + gib(execution.memoryLimitBytes().orElse(0))
                    + ", counted " + execution.oomKills().getAsLong() + " out-of-memory kill"
                    + (execution.oomKills().getAsLong() == 1 ? "" : "s"));
        }
        return oomMark == null ? Optional.empty() : KernelOom.since(oomMark, trainerProcesses);
    }

    private static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
    }

    /** Tells, once, how much host memory the trainer held at most, when the executor measured it. */
    private void notePeakMemory() {
        if (peakNoted || execution == null || execution.peakMemoryBytes().isEmpty()) {
            return;
        }
        long peak = execution.peakMemoryBytes().getAsLong();
        Map<String, Object> data = new HashMap<>();
        data.put("peak_memory_bytes", peak);
        execution.memoryLimitBytes().ifPresent(l -> data.put("memory_limit_bytes", l));
        engine.update(id, JobStatus.RUNNING, JobUpdate.builder().build(), List.of(engine.note(EventLevel.INFO,
                "attempt " + attempt + " held at most " + gib(peak) + " of host memory" + (execution
                        .memoryLimitBytes().isPresent() ? " (its limit: " + gib(execution.memoryLimitBytes()
                                .getAsLong()) + ")" : ""), data)));
        peakNoted = true;
    }

    /**
     * Charges the attempt's GPU-hours, from its launch to now; when it is to be repeated (a retry, a trainer lost),
     * only to its last checkpoint, since the next attempt does again what came after.
     */
    private void charge(boolean repeated) {
        if (engine.ledger == null || spec.resources().gpus() == 0 || attemptStart == null) {
            return;
        }
        Instant until = ended();
        if (repeated) {
            // what came after the attempt's last checkpoint is done again by the next one
            until = state.checkpointAt == null ? attemptStart : state.checkpointAt;
        }
        engine.ledger.charge(id, Math.max(1, attempt), attemptGpuHours(until));
    }

    /**
     * @return whether this supervisor still owns the job after giving its GPUs back: its end is not stored yet and
     *     it will store it, after a refusal of the store or once the checkpoints are registered (the reconciler
     *     leaves such a job alone)
     */
    boolean settling() {
        return !settled && recordPending;
    }

    /** Gives the attempt's GPUs back and tells waiters, once. */
    private void release() {
        if (releasedAt == null) {
            releasedAt = engine.clock.instant();
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
        if (outOfMemory(failure.cause())) {
            Optional<JobStatus> halved = halveMicroBatch(job, failure);
            if (halved.isPresent()) {
                return halved.get();
            }
            if (failure.message() == null || !failure.message().contains("micro_batch_size")) {
                failure = new JobFailure(failure.cause(), failure.message() + "; " + memoryAdvice(job),
                        failure.logTail());
            }
        }
        RetryPolicy policy = engine.settings.retry();
        Integer jobMax = spec.resources().maxRetries();
        Optional<Duration> wait = retryWait(job, failure);
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

    private static boolean outOfMemory(FailureCause cause) {
        return cause == FailureCause.OUT_OF_MEMORY || cause == FailureCause.HOST_OUT_OF_MEMORY;
    }

    /**
     * An out-of-memory failure of a job whose micro-batch size the service chose: queued again at once with it halved
     * and gradient accumulation doubled, the same effective batch, from its last checkpoint. Once only: the halved
     * size is the job's own from then on.
     */
    private Optional<JobStatus> halveMicroBatch(Job job, JobFailure failure) {
        Hyperparameters h = spec.hyperparameters();
        Integer micro = h.microBatchSize();
        if (!job.autoSettings().contains("micro_batch_size") || micro == null || micro < 2) {
            return Optional.empty();
        }
        int half = micro / 2;
        while (micro % half != 0) {
            half--; // a divisor, so the effective batch stays exactly the same
        }
        int accumulation = (h.gradientAccumulationSteps() == null ? 1 : h.gradientAccumulationSteps()) * micro / half;
        JobSpec smaller = spec.toBuilder().hyperparameters(h.toBuilder().microBatchSize(half)
                .gradientAccumulationSteps(accumulation).build()).build();
        List<String> auto = new ArrayList<>(job.autoSettings());
        auto.remove("micro_batch_size");
        String from = state.lastCheckpointStep >= 0 ? "from its checkpoint at step " + state.lastCheckpointStep
                : "from the start (no checkpoint yet)";
        Map<String, Object> data = Map.of("micro_batch_size", half, "gradient_accumulation_steps", accumulation,
                "cause", failure.cause().wireName());
        engine.update(id, JobStatus.RUNNING, JobUpdate.builder().build(), List.of(engine.note(EventLevel.WARN,
                "attempt " + attempt + " ran out of memory with micro_batch_size " + micro + " (chosen by the "
                        + "service): retried once with micro_batch_size " + half + " and gradient_accumulation_steps "
                        + accumulation + ", the same effective batch, " + from, data)));
        return Optional.of(end(JobStatus.QUEUED, JobUpdate.to(JobStatus.QUEUED).respec(smaller, auto)
                .queueReason("retry after " + failure.cause().wireName() + " with micro_batch_size " + half)
                .clearExecution(), EventLevel.WARN, "attempt " + attempt + " failed (" + failure.cause().wireName()
                        + "): " + failure.message() + "; queued again with micro_batch_size " + half));
    }

    /** @return which setting to change after running out of memory, in words */
    private String memoryAdvice(Job job) {
        Integer micro = spec.hyperparameters().microBatchSize();
        if (micro != null && micro > 1) {
            return "micro_batch_size is " + micro + ": lower it" + (job.autoSettings().contains("micro_batch_size")
                    ? "" : " (auto has the service halve it once after running out of memory)") + ", or max_seq_length "
                    + spec.hyperparameters().maxSeqLength() + ", or turn on gradient_checkpointing";
        }
        return "micro_batch_size is already 1: lower max_seq_length " + spec.hyperparameters().maxSeqLength()
                + ", turn on gradient_checkpointing, or use a GPU with more memory";
    }

    /** @return the wait before the job's retry after this failure, or empty when it is not retried */
    private Optional<Duration> retryWait(Job job, JobFailure failure) {
        return engine.settings.retry().retryAfter(failure.cause(), job.retries(), spec.resources().maxRetries());
    }

    /** After losing the trainer (shutdown, host restart): queue again to resume, or fail, by policy. */
    private JobStatus requeueOrFail(String reason) {
        if (stop == AttemptEnd.StopReason.SHUTDOWN || engine.settings.recovery() == RecoveryPolicy.RESUME) {
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
        List<NewEvent> events = new ArrayList<>();
        if (ending != null) {
            // what the attempt used is stored with its end, in one transaction: the usage feed hands it to the usage
            // sinks from the store, so a crash right after the end loses no record
            events.add(UsageFeed.event(usage(ending, to), engine.clock.instant()));
        }
        events.add(engine.status(JobStatus.RUNNING, to, level, message));
        engine.update(id, JobStatus.RUNNING, update.build(), events);
        phase = AttemptPhase.ENDED;
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

    /** When the attempt's use of its GPUs ended: when they went back (before its end is stored), else now. */
    private Instant ended() {
        return releasedAt == null ? engine.clock.instant() : releasedAt;
    }

    private UsageRecord usage(JobRecord record, JobStatus outcome) {
        Instant end = ended();
        Instant start = attemptStart == null ? end : attemptStart;
        double wall = Duration.between(start, end).toMillis() / 1000.0;
        int gpus = spec.resources().gpus();
        String type = gpus == 0 ? "cpu" : gpuName(record).orElse(spec.resources().gpuType() == null ? "gpu"
                : spec.resources().gpuType());
        long tokens = state.progress.tokens() == null ? 0 : state.progress.tokens();
        dev.koder.training.core.estimate.Estimator.Pricing prices = engine.estimator.pricing();
        return new UsageRecord(spec.tenant(), id, attempt, type, gpus, gpus * wall, wall, tokens, start, end, outcome,
                spec.tier(), gpus == 0 ? null : prices.price(type).orElse(null), prices.currency());
    }

    /**
     * Stops the trainer because the service is closing: SIGTERM, then SIGKILL after the grace period. The job
     * is queued again to resume from its checkpoint, unless it finished meanwhile.
     */
    void shutdown(Duration grace) {
        synchronized (this) {
            if (over()) {
                return;
            }
            stopFor(AttemptEnd.StopReason.SHUTDOWN);
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
