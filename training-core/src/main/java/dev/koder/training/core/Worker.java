package dev.koder.training.core;

import dev.koder.training.api.DatasetIssue;
import dev.koder.training.api.DatasetReport;
import dev.koder.training.api.EventLevel;
import dev.koder.training.api.FailureCause;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobFailure;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Severity;
import dev.koder.training.api.TrainingException;
import dev.koder.training.api.ValidationReport;
import dev.koder.training.api.Violation;
import dev.koder.training.spi.Execution;
import dev.koder.training.spi.Executor;
import dev.koder.training.spi.JobRecord;
import dev.koder.training.spi.JobUpdate;
import dev.koder.training.spi.NewEvent;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the jobs of one home: validates submitted jobs, admits queued ones while a slot is free (one trainer
 * per slot, oldest first), and on start picks up jobs left RUNNING by a previous process. Only one process
 * per home is the worker; others only submit and watch, and the worker finds their jobs in the store.
 */
final class Worker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Worker.class);

    private final Engine engine;
    private final Map<String, Supervisor> running = new ConcurrentHashMap<>();
    private final Set<String> validating = ConcurrentHashMap.newKeySet();
    private final ExecutorService validation = Executors.newSingleThreadExecutor(daemon("training-validation"));
    private final Object signal = new Object();
    private final Thread loop;
    private volatile boolean stopping;
    private boolean woken;

    Worker(Engine engine) {
        this.engine = engine;
        this.loop = daemon("training-worker").newThread(this::run);
    }

    static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    /** Picks up jobs left running by a previous process, then starts the loop. */
    void start() {
        recover();
        loop.start();
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
                tick();
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
                        validate(r);
                    } finally {
                        validating.remove(r.id());
                    }
                });
            }
        }
        if (running.size() >= engine.settings.maxConcurrentJobs() || stopping) {
            return;
        }
        for (JobRecord r : engine.store.findByStatus(EnumSet.of(JobStatus.QUEUED))) {
            if (running.size() >= engine.settings.maxConcurrentJobs() || stopping) {
                return;
            }
            admit(r);
        }
    }

    private void admit(JobRecord queued) {
        String resume = queued.job().lastCheckpoint() == null ? "" : "; resuming from " + queued.job().lastCheckpoint();
        Optional<JobRecord> claimed = engine.move(queued.id(), JobStatus.QUEUED, JobUpdate.to(JobStatus.RUNNING),
                EventLevel.INFO, "running: a slot is free, starting the trainer" + resume)
                .map(u -> u.record());
        if (claimed.isEmpty()) {
            return;
        }
        Supervisor s = Supervisor.forClaimed(engine, claimed.get(), () -> done(queued.id()));
        running.put(queued.id(), s);
        engine.scheduler.execute(s::launch);
    }

    private void done(String jobId) {
        running.remove(jobId);
        wake();
    }

    private void validate(JobRecord r) {
        JobSpec spec = r.job().spec();
        ValidationReport report;
        try {
            report = JobValidation.validate(spec, List.of(), List.of(), engine.settings.maxIssues());
        } catch (TrainingException | java.io.UncheckedIOException e) {
            engine.move(r.id(), JobStatus.VALIDATING, JobUpdate.to(JobStatus.FAILED).failure(JobFailure.of(
                    FailureCause.INVALID_DATASET, e.getMessage())), EventLevel.ERROR, "failed validation: "
                            + e.getMessage());
            return;
        }
        List<NewEvent> events = new ArrayList<>();
        for (Violation v : report.violations()) {
            events.add(new NewEvent(engine.clock.instant(), EventLevel.ERROR, JobEvent.TYPE_VALIDATION, v.toString(),
                    Map.of("pointer", v.pointer(), "message", v.message())));
        }
        for (DatasetReport d : report.datasets()) {
            for (DatasetIssue i : d.issues()) {
                Map<String, Object> data = new LinkedHashMap<>();
                data.put("file", i.file());
                data.put("line", i.line());
                data.put("pointer", i.pointer());
                data.put("severity", i.severity().wireName());
                data.put("message", i.message());
                events.add(new NewEvent(engine.clock.instant(), i.severity() == Severity.ERROR ? EventLevel.ERROR
                        : EventLevel.WARN, JobEvent.TYPE_VALIDATION, i.toString(), data));
            }
            if (d.omitted() > 0) {
                events.add(new NewEvent(engine.clock.instant(), EventLevel.WARN, JobEvent.TYPE_VALIDATION,
                        d.file() + ": and " + d.omitted() + " more findings", Map.of("file", d.file(),
                                "omitted", d.omitted())));
            }
            events.add(new NewEvent(engine.clock.instant(), EventLevel.INFO, JobEvent.TYPE_VALIDATION,
                    summary(d), statsData(d)));
        }
        if (report.valid()) {
            long warnings = report.datasets().stream().mapToLong(DatasetReport::warnings).sum();
            events.add(engine.status(JobStatus.VALIDATING, JobStatus.QUEUED, EventLevel.INFO,
                    "queued: model and data passed validation" + (warnings == 0 ? ""
                            : " with " + warnings + (warnings == 1 ? " warning" : " warnings"))));
            engine.update(r.id(), JobStatus.VALIDATING, JobUpdate.to(JobStatus.QUEUED).build(), events);
            wake();
            return;
        }
        boolean modelProblem = report.violations().stream().anyMatch(v -> v.pointer().equals("/base_model"));
        String first = !report.violations().isEmpty() ? report.violations().get(0).toString()
                : report.datasets().stream().flatMap(d -> d.issues().stream())
                        .filter(i -> i.severity() == Severity.ERROR).map(DatasetIssue::toString).findFirst().orElse("");
        long errors = report.violations().size() + report.datasets().stream().mapToLong(DatasetReport::errors).sum();
        String message = errors + (errors == 1 ? " problem" : " problems") + " found before training; first: " + first;
        events.add(engine.status(JobStatus.VALIDATING, JobStatus.FAILED, EventLevel.ERROR, "failed validation: "
                + message));
        engine.update(r.id(), JobStatus.VALIDATING, JobUpdate.to(JobStatus.FAILED).failure(JobFailure.of(
                modelProblem ? FailureCause.INVALID_MODEL : FailureCause.INVALID_DATASET, message)).build(), events);
    }

    static String summary(DatasetReport d) {
        return String.format(Locale.ROOT, "%s: %,d examples, %,d messages, %,d tokens (%s)", d.file(),
                d.stats().examples(), d.stats().messages(), d.stats().tokens(),
                d.stats().tokensExact() ? "exact" : "approximate");
    }

    static Map<String, Object> statsData(DatasetReport d) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("file", d.file());
        data.put("examples", d.stats().examples());
        data.put("messages", d.stats().messages());
        data.put("characters", d.stats().characters());
        data.put("tokens", d.stats().tokens());
        data.put("tokens_exact", d.stats().tokensExact());
        data.put("max_example_tokens", d.stats().maxExampleTokens());
        data.put("over_length", d.stats().overLength());
        data.put("errors", d.errors());
        data.put("warnings", d.warnings());
        return data;
    }

    /** Jobs left RUNNING: re-attach to a trainer still alive, else settle them from their events and policy. */
    private void recover() {
        for (JobRecord r : engine.store.findByStatus(EnumSet.of(JobStatus.RUNNING))) {
            Executor executor = null;
            Execution alive = null;
            if (r.executor() != null && r.executionRef() != null) {
                try {
                    executor = engine.executors.named(r.executor());
                    alive = executor.reattach(r.executionRef()).orElse(null);
                } catch (TrainingException e) {
                    LOG.warn("job {}: its executor '{}' is not available: {}", r.id(), r.executor(), e.getMessage());
                }
            }
            Supervisor s = Supervisor.recovered(engine, r, executor, alive, () -> done(r.id()));
            running.put(r.id(), s);
            if (alive != null) {
                engine.update(r.id(), JobStatus.RUNNING, JobUpdate.builder().build(), List.of(engine.note(EventLevel.INFO,
                        "the service restarted; the trainer (" + alive + ") is still running and is watched again",
                        Map.of("execution", alive.ref()))));
                s.watch();
            } else {
                s.finish(dev.koder.training.spi.ExitStatus.UNKNOWN);
            }
        }
    }

    @Override
    public void close() {
        stopping = true;
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
