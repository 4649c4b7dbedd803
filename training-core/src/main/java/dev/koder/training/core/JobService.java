package dev.koder.training.core;

import dev.koder.training.api.EventLevel;
import dev.koder.training.api.IllegalJobStateException;
import dev.koder.training.api.InvalidSpecException;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobListener;
import dev.koder.training.api.JobNotFoundException;
import dev.koder.training.api.JobProgress;
import dev.koder.training.api.JobQuery;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Jobs;
import dev.koder.training.api.Page;
import dev.koder.training.api.Subscription;
import dev.koder.training.api.UnsupportedFeatureException;
import dev.koder.training.api.Violation;
import dev.koder.training.core.internal.SortableIds;
import dev.koder.training.core.spec.JobSpecJson;
import dev.koder.training.spi.Backoff;
import dev.koder.training.spi.JobRecord;
import dev.koder.training.spi.JobUpdate;
import dev.koder.training.spi.MethodKind;
import dev.koder.training.spi.NewEvent;
import dev.koder.training.spi.RunnerCapabilities;
import dev.koder.training.spi.TrainingRunner;
import dev.koder.training.spi.Updated;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/** The {@link Jobs} of an embedded service: every call goes through the store, so several processes agree. */
final class JobService implements Jobs {

    private final Engine engine;
    private final Worker worker;
    private final Admission admission;
    private final ModelPolicy models;
    private final SortableIds ids = new SortableIds("ftjob-");
    private final Object changes = new Object();

    JobService(Engine engine, Worker worker, Admission admission, ModelPolicy models) {
        this.engine = engine;
        this.worker = worker;
        this.admission = admission;
        this.models = models;
        engine.bus.add((job, event) -> {
            synchronized (changes) {
                changes.notifyAll();
            }
        });
    }

    /** Picks the spec's runner (or the default) and checks it can run the spec. */
    TrainingRunner runnerFor(JobSpec spec) {
        return engine.runnerFor(spec);
    }

    static List<Violation> runnerProblems(TrainingRunner runner, JobSpec spec) {
        List<Violation> problems = new ArrayList<>();
        RunnerCapabilities caps = runner.capabilities();
        MethodKind kind = MethodKind.of(spec.method());
        if (caps.methods().stream().noneMatch(k -> k.objective() == kind.objective())) {
            problems.add(new Violation("/method/objective", "runner '" + runner.name() + "' does not train objective "
                    + kind.objective().wireName() + " (it trains " + caps.methods().stream().map(k -> k.objective()
                            .wireName()).distinct().sorted().collect(Collectors.joining(", ")) + ")"
                    + (kind.objective().languageModel() ? "" : "; embedding and reranker jobs are trained by runner "
                            + "'sentence-transformers'")));
        } else if (!caps.methods().contains(kind)) {
            problems.add(new Violation("/method", "runner '" + runner.name() + "' does not train " + kind
                    + "; it trains " + caps.methods().stream().map(MethodKind::toString).sorted()
                            .collect(Collectors.joining(", "))));
        }
        if (!caps.formats().contains(spec.trainingData().format())) {
            problems.add(new Violation("/training_data/format", "runner '" + runner.name() + "' does not read "
                    + spec.trainingData().format().wireName() + " data"));
        }
        if (spec.hyperparameters().tokenMicroSteps() && !spec.hyperparameters().autoMicroBatchTokens()
                && !caps.tokenMicroSteps()) {
            problems.add(new Violation("/hyperparameters/micro_batch_tokens", "runner '" + runner.name() + "' counts "
                    + "micro-steps in examples; set micro_batch_size instead, or micro_batch_tokens auto (which it "
                    + "trains with micro_batch_size examples)"));
        }
        if (spec.resources().isCpu() && !caps.cpu()) {
            problems.add(new Violation("/resources/gpus", "runner '" + runner.name() + "' needs a GPU, got 0"));
        }
        if (problems.isEmpty()) {
            problems.addAll(runner.check(spec));
        }
        return problems;
    }

    @Override
    public Job submit(JobSpec spec) {
        return submit(spec, null);
    }

    @Override
    public Job submit(JobSpec spec, String submitter) {
        return create(models.resolve(JobSpecJson.resolvePaths(spec, Path.of("").toAbsolutePath()), false), null, null,
                false, submitter);
    }

    /**
     * Submits a spec a {@link TenantView} has already checked and resolved: its estimate is calibrated by its
     * tenant's own jobs.
     */
    Job submitResolved(JobSpec spec, String submitter) {
        return create(spec, null, null, true, submitter);
    }

    @Override
    public Job pause(String id) {
        return request(id, "paused", r -> {
            Job job = r.job();
            switch (job.status()) {
                case QUEUED:
                    return engine.move(id, JobStatus.QUEUED, JobUpdate.to(JobStatus.PAUSED), EventLevel.INFO,
                            "paused before it started; resume queues it again");
                case RUNNING:
                    if (r.cancelRequests() > 0) {
                        throw new IllegalJobStateException("Job " + id + " is being cancelled; it cannot be paused.");
                    }
                    return job.pauseRequested() ? null : engine.update(id, JobStatus.RUNNING, JobUpdate.builder()
                            .requestPause().build(), List.of(engine.note(EventLevel.INFO, "pause requested: the "
                            + "trainer saves a checkpoint and stops; resume goes on from it", Map.of())));
                case PAUSED:
                    return null;
                case VALIDATING:
                    throw new IllegalJobStateException("Job " + id + " is still validating; pause it once it is "
                            + "queued.");
                default:
                    throw new IllegalJobStateException("Job " + id + " already " + job.status().wireName()
                            + "; there is nothing to pause.");
            }
        });
    }

    @Override
    public Job resume(String id) {
        Job old = get(id);
        if (old.status() == JobStatus.PAUSED) {
            String from = old.lastCheckpoint() == null ? "it starts from the beginning (no checkpoint yet)"
                    : "it goes on from its checkpoint at step " + old.progress().step();
            Optional<Updated> u = engine.move(id, JobStatus.PAUSED, JobUpdate.to(JobStatus.QUEUED), EventLevel.INFO,
                    "resumed: queued again; " + from);
            if (u.isEmpty()) {
                throw new IllegalJobStateException("Job " + id + " changed status while being resumed; try again.");
            }
            if (worker != null) {
                worker.wake();
            }
            return u.get().record().job();
        }
        if (old.status() != JobStatus.CANCELLED && old.status() != JobStatus.FAILED) {
            throw new IllegalJobStateException("Job " + id + " is " + old.status().wireName() + "; only a paused, "
                    + "cancelled or failed job can be resumed.");
        }
        if (old.lastCheckpoint() == null || !Files.isDirectory(Path.of(old.lastCheckpoint()))) {
            throw new IllegalJobStateException("Job " + id + " left no checkpoint to resume from; submit its spec "
                    + "again to start over.");
        }
        return create(old.spec(), old, old.lastCheckpoint(), false, old.submittedBy());
    }

    /**
     * Checks, estimates and reserves in the caller's thread, then stores the job: queued, or failed with its
     * data's findings. An unsupported method, an impossible request or an exhausted budget throws and stores
     * nothing.
     */
    private Job create(JobSpec resolved, Job parent, String checkpoint, boolean scoped, String submitter) {
        Engine.RunnerPick pick = engine.pick(resolved);
        TrainingRunner runner = pick.runner();
        List<Violation> problems = runnerProblems(runner, resolved);
        if (!problems.isEmpty()) {
            throw new UnsupportedFeatureException(runner.name(), problems);
        }
        Admission.Prepared prepared = admission.prepare(resolved, List.of(), runner.name(), pick.reason(),
                scoped ? resolved.tenant() : null);
        // The spec as it will run: auto values chosen (the reasons go in the first event and the estimate).
        JobSpec chosen = prepared.spec();
        Instant now = engine.clock.instant();
        String id = ids.next(now);
        Job job = Job.builder().id(id).spec(chosen).status(JobStatus.VALIDATING).runner(runner.name())
                .createdAt(now).updatedAt(now).progress(JobProgress.NONE).lastCheckpoint(checkpoint)
                .resumedFrom(parent == null ? null : parent.id()).estimate(prepared.estimate())
                .autoSettings(autoSettings(resolved)).submittedBy(submitter == null || submitter.isBlank() ? null
                        : submitter.strip()).build();
        if (prepared.report().valid()) {
            List<Violation> impossible = engine.withJobScheduler(s -> s.check(Admission.request(id, chosen, now,
                    prepared.estimate())));
            if (!impossible.isEmpty()) {
                throw new InvalidSpecException("No GPU in this service's pool can run this job", impossible);
            }
        }
        admission.reserve(chosen, id, prepared);
        String origin = parent == null ? "" : "; resumes job " + parent.id() + " from its checkpoint "
                + checkpoint + " (step " + parent.progress().step() + ")";
        List<JobEvent> events;
        try {
            events = engine.store.insert(JobRecord.of(job), List.of(new NewEvent(now,
                    EventLevel.INFO, JobEvent.TYPE_STATUS, "submitted by " + chosen.tenant() + " ("
                            + chosen.tier().wireName() + ")" + (job.submittedBy() == null ? "" : ", by "
                            + job.submittedBy()) + ": " + chosen.method().label() + " of "
                            + models.publicName(chosen.baseModel()) + " with runner " + runner.name() + " (" + pick.reason() + ")"
                            + origin + prepared.recipe().stream().map(l -> "; " + l).collect(Collectors.joining()),
                    Map.of("to", JobStatus.VALIDATING.wireName(), "runner", runner.name(), "runner_reason",
                            pick.reason()))));
        } catch (RuntimeException e) {
            if (engine.ledger != null) {
                engine.ledger.settle(id);
            }
            throw e;
        }
        engine.bus.publish(job, events);
        admission.finish(id, chosen, prepared);
        if (worker != null) {
            worker.wake();
        }
        return get(id);
    }

    /** @return the settings a spec leaves to the service, which admission chose */
    static List<String> autoSettings(JobSpec spec) {
        List<String> auto = new ArrayList<>();
        if (spec.hyperparameters().autoMicroBatch()) {
            auto.add("micro_batch_size");
        }
        if (spec.hyperparameters().autoGradientCheckpointing()) {
            auto.add("gradient_checkpointing");
        }
        return auto;
    }

    @Override
    public Job get(String id) {
        return engine.store.find(id).map(JobRecord::job).orElseThrow(() -> new JobNotFoundException(id));
    }

    @Override
    public Page<Job> list(JobQuery query) {
        Page<JobRecord> page = engine.store.list(query);
        return new Page<>(page.items().stream().map(JobRecord::job).collect(Collectors.toList()), page.nextCursor());
    }

    @Override
    public Page<JobEvent> events(String id, long afterSeq, int limit) {
        return engine.store.events(id, afterSeq, limit);
    }

    @Override
    public Job cancel(String id) {
        return request(id, "cancelled", r -> {
            JobStatus status = r.status();
            switch (status) {
                case VALIDATING:
                case QUEUED:
                case PAUSED:
                    Optional<Updated> u = engine.move(id, status, JobUpdate.to(JobStatus.CANCELLED), EventLevel.INFO,
                            status == JobStatus.PAUSED ? "cancelled while paused" : "cancelled before it started");
                    if (u.isPresent() && engine.ledger != null) {
                        engine.ledger.settle(id);
                    }
                    return u;
                case RUNNING:
                    String message = r.cancelRequests() == 0
                            ? "cancellation requested: the trainer saves a checkpoint and stops"
                            : "cancellation requested again: the trainer is stopped at once";
                    return engine.update(id, status, JobUpdate.builder().requestCancel().build(),
                            List.of(engine.note(EventLevel.INFO, message, Map.of("requests", r.cancelRequests() + 1))));
                case CANCELLED:
                    return null;
                default:
                    throw new IllegalJobStateException("Job " + id + " already " + status.wireName()
                            + "; there is nothing to cancel.");
            }
        });
    }

    /** A request on a job, decided from the job as stored. */
    private interface Request {
        /**
         * @param r the job as stored
         * @return the change made; empty when the job moved meanwhile (it is read again); null to leave it as it is
         */
        Optional<Updated> apply(JobRecord r);
    }

    /** A cancel or pause whose job changed under it: read again, up to 10 times, from 5 ms, doubling to 0.2 s apart. */
    static final int REQUEST_TRIES = 10;
    static final Backoff REQUEST_RETRY = new Backoff(Duration.ofMillis(5), Duration.ofMillis(200));

    /** Applies a request, reading the job again while it changes under it; the worker is woken by a change. */
    private Job request(String id, String doing, Request request) {
        for (int attempt = 0; attempt < REQUEST_TRIES; attempt++) {
            if (attempt > 0) {
                try {
                    REQUEST_RETRY.sleep(attempt - 1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            JobRecord r = engine.store.find(id).orElseThrow(() -> new JobNotFoundException(id));
            Optional<Updated> u = request.apply(r);
            if (u == null) {
                return r.job();
            }
            if (u.isPresent()) {
                if (worker != null) {
                    worker.wake();
                }
                return u.get().record().job();
            }
        }
        throw new IllegalJobStateException("Job " + id + " kept changing status while being " + doing
                + "; try again.");
    }

    @Override
    public Job await(String id, Duration timeout) throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Job job = get(id);
            if (job.status().isTerminal()) {
                return job;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new TimeoutException("job " + id + " is still " + job.status().wireName() + " after " + timeout);
            }
            synchronized (changes) {
                changes.wait(Math.max(1, Math.min(left / 1_000_000, 500)));
            }
        }
    }

    @Override
    public Subscription addListener(JobListener listener) {
        return engine.bus.add(listener);
    }
}
