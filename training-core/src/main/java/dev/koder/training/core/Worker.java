package dev.koder.training.core;

import dev.koder.training.api.EventLevel;
import dev.koder.training.api.FailureCause;
import dev.koder.training.api.JobFailure;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Placement;
import dev.koder.training.api.InvalidSpecException;
import dev.koder.training.api.QuotaExceededException;
import dev.koder.training.api.StorageException;
import dev.koder.training.api.TrainingException;
import dev.koder.training.spi.AttemptPhase;
import dev.koder.training.spi.Execution;
import dev.koder.training.spi.Executor;
import dev.koder.training.spi.ExitStatus;
import dev.koder.training.spi.JobRecord;
import dev.koder.training.spi.JobScheduler;
import dev.koder.training.spi.JobUpdate;
import dev.koder.training.spi.WorkerLease;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the jobs of a store: keeps the job scheduler's queue in step with the store, starts what it decides on
 * the GPUs it picks, preempts what it asks to, records why queued jobs wait, and on start picks up jobs left
 * RUNNING (or VALIDATING) by a previous process. Only the instance that holds the {@link WorkerLease} runs jobs;
 * others submit and watch, and the worker finds their jobs in the store.
 *
 * <p>With a lease that has a timeout (a store that instances share), a worker that does not hold it stands by: it
 * tries to take it every third of the timeout, and once it has it adopts the running jobs, as a restarted worker
 * does (by their launch records: a trainer still running is watched, never started again). The holder renews the
 * lease as often; when it cannot renew it for half the timeout, or hears that another took it, it stops
 * supervising at once, before the lease can pass on, and stands by again. Its trainers on this host are asked to stop
 * with a checkpoint (the next holder may be elsewhere and could not watch them); others run on for the next holder.
 */
final class Worker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Worker.class);

    private final Engine engine;
    private final Admission admission;
    private final Map<String, Supervisor> running = new ConcurrentHashMap<>();
    /** Supervisors that gave their GPUs back but have still to store how their attempt ended. */
    private final Map<String, Supervisor> settling = new ConcurrentHashMap<>();
    private Instant lastReconcile = Instant.EPOCH;
    private final Set<String> enqueued = new HashSet<>();
    private final Map<String, String> reasons = new HashMap<>();
    private final Set<String> validating = ConcurrentHashMap.newKeySet();
    private final ExecutorService validation = Executors.newSingleThreadExecutor(daemon("training-validation"));
    private final Object signal = new Object();
    private final Thread loop;
    private volatile boolean stopping;
    private boolean woken;
    private final WorkerLease lease;
    /** What the instance does once it became the worker (its sinks send, its outbox delivers). */
    private final Runnable onLead;
    /** Whether this instance runs the jobs now: it holds the lease. */
    private volatile boolean leads;
    /** Taken by the loop's pass, by taking the lease and by losing it: none of them runs while another does. */
    private final Object leadership = new Object();
    /** When the last successful renewal (or taking) of the lease began, by {@link System#nanoTime()}. */
    private volatile long renewedAt;
    private java.util.concurrent.ScheduledFuture<?> heartbeat;
    private final java.util.concurrent.ScheduledExecutorService beats = Executors.newSingleThreadScheduledExecutor(
            daemon("training-lease"));

    /**
     * @param lease the lease; taken already when {@code leads}
     * @param leads whether this instance holds the lease
     * @param onLead run each time this instance becomes the worker, after it adopted the running jobs
     */
    Worker(Engine engine, Admission admission, WorkerLease lease, boolean leads, Runnable onLead) {
        this.engine = engine;
        this.admission = admission;
        this.lease = lease;
        this.leads = leads;
        this.renewedAt = System.nanoTime();
        this.onLead = onLead;
        this.loop = daemon("training-worker").newThread(this::run);
    }

    /** @return whether this instance holds the lease and runs the jobs now */
    boolean leads() {
        return leads;
    }

    static ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * Picks up jobs left running by a previous process when it holds the lease, then starts the loop; with a lease
     * that has a timeout, starts renewing it (or trying to take it) every third of it.
     */
    void start() {
        if (leads) {
            synchronized (leadership) {
                recover();
            }
            onLead.run();
        }
        loop.start();
        java.time.Duration timeout = lease.timeout();
        if (!timeout.isZero()) {
            // a thread of its own: supervisors' work on the shared timers never delays a renewal
            long every = Math.max(50, timeout.toMillis() / 3);
            heartbeat = beats.scheduleWithFixedDelay(this::beat, every, every, TimeUnit.MILLISECONDS);
        }
    }

    /** Renews the lease, or tries to take it; gives up running jobs when it is lost or cannot be renewed in time. */
    private void beat() {
        if (stopping) {
            return;
        }
        long start = System.nanoTime();
        if (leads) {
            String trouble;
            try {
                if (lease.renew()) {
                    renewedAt = start;
                    return;
                }
                trouble = "another instance holds it now" + lease.holder().map(h -> " (" + h + ")").orElse("");
            } catch (RuntimeException e) {
                long silent = start - renewedAt;
                if (silent < lease.timeout().toNanos() / 2) {
                    LOG.warn("cannot renew the worker lease ({}); trying again", e.getMessage());
                    return;
                }
                trouble = "it could not be renewed for " + java.time.Duration.ofNanos(silent).toMillis() + " ms ("
                        + e.getMessage() + ")";
            }
            standDown(trouble);
            return;
        }
        try {
            if (lease.tryAcquire()) {
                renewedAt = start;
                takeOver();
            }
        } catch (RuntimeException e) {
            LOG.warn("cannot take the worker lease ({}); trying again", e.getMessage());
        }
    }

    /** This instance just took the lease: adopts the running jobs, then runs the loop's passes. */
    private void takeOver() {
        synchronized (leadership) {
            if (stopping) {
                lease.release();
                return;
            }
            leads = true;
            LOG.info("{} took the worker lease over: adopting the running jobs and running the queue", lease.name());
            recover(null, "the instance that ran the job stopped, and its trainer was gone when " + lease.name()
                    + " took the jobs over", "the instance that ran the job stopped and " + lease.name()
                    + " took the worker lease over");
        }
        onLead.run();
        wake();
    }

    /**
     * The lease is lost (or may be, any moment): stops supervising every job at once, leaving trainers and store as
     * they are for the next holder, forgets the queue, and stands by.
     */
    private void standDown(String why) {
        leads = false;
        synchronized (leadership) {
            List<Supervisor> all = new ArrayList<>(running.values());
            all.addAll(settling.values());
            all.forEach(Supervisor::detach);
            Set<String> ids = new HashSet<>(running.keySet());
            ids.addAll(settling.keySet());
            running.clear();
            settling.clear();
            engine.withJobScheduler(s -> {
                enqueued.forEach(s::dequeue);
                ids.forEach(s::release);
                return null;
            });
            enqueued.clear();
            reasons.clear();
            LOG.error("{} lost the worker lease: {}. It stopped supervising {} job(s) {}: trainers on this host are "
                    + "asked to stop with a checkpoint, others run on, and the instance that takes the lease adopts "
                    + "them. Standing by.", lease.name(), why, ids.size(), ids);
        }
    }

    /** Makes the loop look at the store now rather than at its next tick. */
    void wake() {
        synchronized (signal) {
            woken = true;
            signal.notifyAll();
        }
    }

    private void run() {
        while (!stopping) {
            try {
                synchronized (leadership) {
                    if (leads) {
                        tick();
                    }
                }
            } catch (RuntimeException e) {
                LOG.warn("worker tick failed; trying again", e);
            }
            synchronized (signal) {
                if (!woken && !stopping) {
                    try {
                        signal.wait(Math.max(200, engine.settings.pollInterval().toMillis() * 2));
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                woken = false;
            }
        }
    }

    private void tick() {
        for (JobRecord r : engine.store.findByStatus(EnumSet.of(JobStatus.VALIDATING))) {
            if (validating.add(r.id())) {
                validation.execute(() -> {
                    try {
                        revalidate(r);
                    } finally {
                        validating.remove(r.id());
                    }
                });
            }
        }
        if (stopping) {
            return;
        }
        Instant t = engine.clock.instant();
        if (!t.isBefore(lastReconcile.plus(engine.settings.reconcileInterval()))) {
            lastReconcile = t;
            reconcile();
        }
        // Ids first: only jobs that joined the queue since the last pass are read whole (a pass over a queue of
        // thousands read and parsed every one of them, holding the store while other readers waited).
        Set<String> queued = new HashSet<>(engine.store.idsByStatus(EnumSet.of(JobStatus.QUEUED)));
        List<JobRecord> joined = new ArrayList<>();
        Instant now = engine.clock.instant();
        for (String id : queued) {
            if (!enqueued.contains(id) && !running.containsKey(id)) {
                // a retry waits out its backoff before the scheduler sees it
                engine.store.find(id).filter(r -> r.job().status() == JobStatus.QUEUED && (r.job().notBefore() == null
                        || !r.job().notBefore().isAfter(now))).ifPresent(joined::add);
            }
        }
        joined.sort(java.util.Comparator.comparing(JobRecord::id));
        JobScheduler.Decision decision = engine.withJobScheduler(s -> {
            for (String id : List.copyOf(enqueued)) {
                if (!queued.contains(id)) {
                    s.dequeue(id);
                    enqueued.remove(id);
                    reasons.remove(id);
                }
            }
            for (JobRecord r : joined) {
                if (!enqueued.contains(r.id()) && !running.containsKey(r.id())) {
                    s.enqueue(Admission.request(r));
                    enqueued.add(r.id());
                }
            }
            return s.schedule(engine.clock.instant());
        });
        for (JobScheduler.Start start : decision.starts()) {
            enqueued.remove(start.jobId());
            reasons.remove(start.jobId());
            admit(engine.store.find(start.jobId()).filter(r -> r.job().status() == JobStatus.QUEUED).orElse(null),
                    start);
        }
        for (JobScheduler.Preemption p : decision.preemptions()) {
            Supervisor s = running.get(p.jobId());
            if (s != null) {
                s.preempt(p.forJobId());
            }
        }
        recordReasons(queued);
    }

    private void admit(JobRecord queued, JobScheduler.Start start) {
        if (queued == null) {
            engine.withJobScheduler(s -> {
                s.release(start.jobId());
                return null;
            });
            return;
        }
        JobScheduler.Allocation a = start.allocation();
        Placement placement = new Placement(a.node(), a.gpus());
        String where = a.gpus().isEmpty() ? "" : " on " + a.node() + " GPU" + (a.gpus().size() > 1 ? "s " : " ")
                + a.gpus().toString().replaceAll("[\\[\\] ]", "");
        String resume = queued.job().lastCheckpoint() == null ? "" : "; resuming from " + queued.job().lastCheckpoint();
        Optional<JobRecord> claimed = engine.move(queued.id(), JobStatus.QUEUED, JobUpdate.to(JobStatus.RUNNING)
                .placement(placement), EventLevel.INFO, "running" + where + ": starting the trainer" + resume)
                .map(u -> u.record());
        if (claimed.isEmpty()) {
            engine.withJobScheduler(s -> {
                s.release(queued.id());
                return null;
            });
            return;
        }
        Supervisor s = Supervisor.forClaimed(engine, claimed.get(), a.gpus(), () -> done(queued.id()));
        running.put(queued.id(), s);
        engine.timers.execute(s::launch);
    }

    private void done(String jobId) {
        Supervisor gone = running.remove(jobId);
        if (gone != null && gone.settling()) {
            settling.put(jobId, gone);
        }
        engine.withJobScheduler(s -> {
            s.release(jobId);
            return null;
        });
        wake();
    }

    /** Stores why queued jobs wait, when it changed, so every process can show it. */
    private void recordReasons(Set<String> queued) {
        Map<String, String> now = engine.withJobScheduler(s -> {
            Map<String, String> m = new HashMap<>();
            for (String id : enqueued) {
                s.reason(id).ifPresent(r -> m.put(id, r));
            }
            return m;
        });
        for (Map.Entry<String, String> e : now.entrySet()) {
            if (!queued.contains(e.getKey()) || e.getValue().equals(reasons.get(e.getKey()))) {
                continue;
            }
            // Read the job only when its reason changed here: another process may have stored the same one.
            Optional<JobRecord> r = engine.store.find(e.getKey());
            reasons.put(e.getKey(), e.getValue());
            if (r.isPresent() && r.get().job().status() == JobStatus.QUEUED
                    && !e.getValue().equals(r.get().job().queueReason())) {
                engine.update(e.getKey(), JobStatus.QUEUED, JobUpdate.builder().queueReason(e.getValue()).build(),
                        List.of());
            }
        }
    }

    /** A job left VALIDATING by a process that died while submitting it: check, estimate, reserve again. */
    private void revalidate(JobRecord r) {
        JobSpec spec = r.job().spec();
        try {
            Admission.Prepared prepared = admission.prepare(spec, List.of(), r.job().runner(), "chosen at submission");
            if (engine.ledger != null && engine.ledger.entry(r.id()).isEmpty()) {
                admission.reserve(spec, r.id(), prepared);
            }
            admission.finish(r.id(), spec, prepared);
        } catch (QuotaExceededException e) {
            engine.move(r.id(), JobStatus.VALIDATING, JobUpdate.to(JobStatus.FAILED).failure(JobFailure.of(
                    FailureCause.QUOTA_EXCEEDED, e.getMessage())), EventLevel.ERROR, "failed: " + e.getMessage());
        } catch (StorageException e) {
            // the store's trouble, not the job's: the job stays VALIDATING and is checked again at the next tick
            LOG.warn("job {}: cannot validate it again now ({}); trying at the next tick", r.id(), e.getMessage());
            return;
        } catch (InvalidSpecException e) {
            engine.move(r.id(), JobStatus.VALIDATING, JobUpdate.to(JobStatus.FAILED).failure(JobFailure.of(
                    FailureClassifier.ofValidation(e.violations()), e.getMessage())), EventLevel.ERROR,
                    "failed validation: " + e.getMessage());
        } catch (TrainingException | java.io.UncheckedIOException e) {
            engine.move(r.id(), JobStatus.VALIDATING, JobUpdate.to(JobStatus.FAILED).failure(JobFailure.of(
                    FailureClassifier.ofValidation(List.of()), e.getMessage())), EventLevel.ERROR, "failed validation: "
                            + e.getMessage());
        }
        wake();
    }

    /**
     * Running jobs that no supervisor of this worker watches (this process is the home's only worker, so nobody
     * does): a trainer whose end was never stored, a cancel never acted on. Each is taken over as at a restart.
     */
    private void reconcile() {
        settling.values().removeIf(s -> !s.settling());
        Set<String> orphans = new HashSet<>(engine.store.idsByStatus(EnumSet.of(JobStatus.RUNNING)));
        orphans.removeAll(running.keySet());
        orphans.removeAll(settling.keySet());
        if (!orphans.isEmpty()) {
            LOG.warn("running jobs that nothing watched: {}; taking them over", orphans);
            recover(orphans, "no supervisor watched the job (its end was never recorded)",
                    "no supervisor watched the job");
        }
    }

    /** Jobs left RUNNING: re-attach to a trainer still alive, else settle them from their events and policy. */
    private void recover() {
        recover(null, "the service restarted and the trainer was gone", "the service restarted");
    }

    /**
     * @param gone why the trainer of a job is gone, for its event
     * @param taken how the job came to this supervisor, for the event of one whose trainer still runs
     */
    private void recover(Set<String> only, String gone, String taken) {
        for (JobRecord r : engine.store.findByStatus(EnumSet.of(JobStatus.RUNNING))) {
            if (only != null && !only.contains(r.id())) {
                continue;
            }
            Found found;
            try {
                found = find(r);
            } catch (IOException e) {
                // the executor cannot tell whether the trainer runs: never start it again on a guess; ask next time
                LOG.warn("job {}: cannot tell whether its trainer runs ({}); asking again at the next reconcile",
                        r.id(), e.getMessage());
                continue;
            }
            Execution alive = found.alive();
            Placement placement = r.job().placement();
            List<Integer> gpus = placement == null ? List.of() : placement.gpus();
            Supervisor s = Supervisor.recovered(engine, r, gpus, found.executor(), alive, () -> done(r.id()), gone,
                    found.neverStarted());
            running.put(r.id(), s);
            if (alive != null) {
                engine.withJobScheduler(sch -> {
                    sch.running(Admission.request(r), new JobScheduler.Allocation(placement == null ? "local"
                            : placement.node(), gpus), r.job().startedAt() == null ? engine.clock.instant()
                            : r.job().startedAt());
                    return null;
                });
                String message = found.byToken()
                        ? taken + " while the trainer was being started; found it by its launch token ("
                                + alive + ") and watches it: it is not started again"
                        : taken + "; the trainer (" + alive + ") is still running and is watched again";
                engine.update(r.id(), JobStatus.RUNNING, JobUpdate.builder().phase(AttemptPhase.RUNNING)
                        .execution(found.executor().name(), alive.ref()).build(), List.of(engine.note(
                                EventLevel.INFO, message, Map.of("execution", alive.ref()))));
                s.watch();
            } else {
                s.finish(ExitStatus.UNKNOWN);
            }
        }
    }

    /**
     * What a job left RUNNING has of a trainer.
     *
     * @param executor the executor that runs (or would have run) it, or null when it is not available
     * @param alive its trainer, still running, or null
     * @param byToken whether the trainer was found by its launch token rather than by its stored reference
     * @param neverStarted whether no trainer was ever started for the attempt
     */
    private record Found(Executor executor, Execution alive, boolean byToken, boolean neverStarted) {
    }

    /**
     * Looks for the trainer of a job left RUNNING, by its attempt's phase: PLANNED started nothing; RUNNING has a
     * reference to re-attach by; LAUNCHING (and RUNNING whose reference finds nothing) has a launch token to ask the
     * executor about.
     *
     * @throws IOException when the executor cannot tell
     */
    private Found find(JobRecord r) throws IOException {
        if (r.phase() == AttemptPhase.PLANNED) {
            return new Found(null, null, false, true);
        }
        Executor executor;
        try {
            executor = r.executor() != null ? engine.executors.named(r.executor())
                    : r.launchToken() != null ? engine.executors.chosen() : null;
        } catch (TrainingException e) {
            LOG.warn("job {}: its executor '{}' is not available: {}", r.id(), r.executor(), e.getMessage());
            return new Found(null, null, false, false);
        }
        if (executor == null) {
            return new Found(null, null, false, false);
        }
        if (r.executionRef() != null) {
            Optional<Execution> alive = executor.reattach(r.executionRef());
            if (alive.isPresent()) {
                return new Found(executor, alive.get(), false, false);
            }
        }
        if (r.launchToken() != null) {
            Optional<Execution> byToken = executor.find(r.launchToken(), engine.workdir(r.id()));
            if (byToken.isPresent()) {
                return new Found(executor, byToken.get(), r.executionRef() == null, false);
            }
            return new Found(executor, null, false, r.phase() == AttemptPhase.LAUNCHING);
        }
        return new Found(executor, null, false, false);
    }

    @Override
    public void close() {
        stopping = true;
        if (heartbeat != null) {
            heartbeat.cancel(false);
        }
        beats.shutdown();
        wake();
        loop.interrupt();
        validation.shutdownNow();
        List<Thread> stoppers = new ArrayList<>();
        for (Supervisor s : List.copyOf(running.values())) {
            Thread t = new Thread(() -> s.shutdown(engine.settings.shutdownGrace()), "stop-" + s.jobId());
            t.start();
            stoppers.add(t);
        }
        for (Thread t : stoppers) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            loop.join(TimeUnit.SECONDS.toMillis(5));
            validation.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
