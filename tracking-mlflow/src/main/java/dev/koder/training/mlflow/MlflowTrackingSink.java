package dev.koder.training.mlflow;

import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.CheckpointQuery;
import dev.koder.training.api.CheckpointStage;
import dev.koder.training.api.Evaluation;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Page;
import dev.koder.training.spi.Backoff;
import dev.koder.training.spi.Delivery;
import dev.koder.training.spi.OutboundSink;
import dev.koder.training.spi.Outbox;
import dev.koder.training.spi.OutboxMessage;
import dev.koder.training.spi.SendLoop;
import dev.koder.training.spi.TrackingContext;
import dev.koder.training.spi.TrackingSink;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Tracks every job as an MLflow run and approved checkpoints as versions of registered models.
 *
 * <p>Nothing here runs on a job's threads: {@link #onEvent} only notes that a job has news and wakes the
 * sender thread. The sender reads the job's stored events after the last one MLflow acknowledged (the job store
 * is the outbox: every event is committed there before any sink sees it), turns them into log-batches within
 * MLflow's limits, and after each acknowledged batch records the new high-water mark durably, in the home's
 * database and as a tag on the run in the same batch. So an outage only delays tracking, a restart picks up
 * where it stopped, and a batch whose answer was lost (a timeout, a 5xx) is checked against the run's tag before
 * it is sent again: nothing is lost and nothing is sent twice. Retryable failures (no answer, 429, 5xx) back
 * off exponentially (honouring Retry-After); any other 4xx is logged and that piece of work skipped.
 *
 * <p>Only the process that runs a home's jobs sends; other processes on the home (the CLI approving a
 * checkpoint) leave a durable note that the worker's sender picks up within a few seconds.
 */
final class MlflowTrackingSink implements TrackingSink, OutboundSink {

    private static final Logger LOG = LoggerFactory.getLogger(MlflowTrackingSink.class);

    static final String APPROVED_ALIAS = "approved";
    private static final String RUN_KEY = "run/";
    /** Keys of outbox messages that bring a model in line with the registry (and of notes older homes left). */
    private static final String SYNC_KEY = "sync/";
    /** Keys of outbox messages that send an evaluation on demand (and of notes older homes left). */
    private static final String EVAL_KEY = "evaluation/";
    private static final String SYNC_TYPE = "registry-sync";
    private static final String EVAL_TYPE = "evaluation";
    /** Metric keys of evaluations on demand: this, the data's SHA-256 (12 digits), then the figure's name. */
    static final String EVAL_METRIC_PREFIX = "eval_ondemand/";
    private static final String HEALTH_KEY = "health";

    private final MlflowSettings settings;
    private final MlflowClient client;
    private final Duration pollInterval;
    private final Duration maxBackoff;
    private final Duration closeFlush;
    private final long warnBacklog;
    private final Set<String> dirty = new ConcurrentSkipListSet<>();
    private final Map<String, Long> lastSeen = new ConcurrentHashMap<>();
    private final Map<String, String> experiments = new ConcurrentHashMap<>();
    private volatile boolean reconcile = true;
    private volatile String lastError;
    private boolean warnedBacklog;
    private TrackingContext ctx;
    private volatile Outbox outbox;
    private Loop sender;

    MlflowTrackingSink(MlflowSettings settings, Duration pollInterval, Duration maxBackoff, Duration closeFlush,
            long warnBacklog) {
        this.settings = settings;
        this.client = new MlflowClient(settings);
        this.pollInterval = pollInterval;
        this.maxBackoff = maxBackoff;
        this.closeFlush = closeFlush;
        this.warnBacklog = warnBacklog;
    }

    /** @return requests sent to MLflow so far */
    long requests() {
        return client.requests();
    }

    @Override
    public void start(TrackingContext context) {
        this.ctx = context;
        if (!context.sends()) {
            return;
        }
        // What a previous process left: runs not yet ended (their last batch may have been applied without the
        // answer arriving: verified against the run's tag first), and jobs that may never have reached the sink.
        for (Map.Entry<String, String> e : context.state().withPrefix(RUN_KEY).entrySet()) {
            RunState st = RunState.read(e.getValue());
            if (st.ended == null) {
                st.verify = st.runId != null;
                save(e.getKey().substring(RUN_KEY.length()), st);
                dirty.add(e.getKey().substring(RUN_KEY.length()));
            }
        }
        for (Job j : context.unfinished()) {
            dirty.add(j.id());
        }
        Duration first = Duration.ofMillis(500).compareTo(maxBackoff) > 0 ? maxBackoff : Duration.ofMillis(500);
        sender = new Loop(new Backoff(first, maxBackoff));
        sender.start();
    }

    @Override
    public void onEvent(Job job, JobEvent event) {
        if (ctx == null || !ctx.sends()) {
            return;
        }
        if (lastSeen.put(job.id(), event.seq()) == null) {
            // First sight of the job in this process: noted durably, so a restart finds it even if it ended
            // before anything reached MLflow.
            ctx.state().putIfAbsent(RUN_KEY + job.id(), new RunState().write());
        }
        dirty.add(job.id());
        // Progress waits for the next pass (events sent together, one request a second a job at most); the end of
        // a job is sent at once.
        if (event.type().equals(JobEvent.TYPE_STATUS) && job.status().isTerminal()) {
            signal();
        }
    }

    @Override
    public String outboxName() {
        return "mlflow";
    }

    /**
     * Registry syncs and evaluations go through the service's outbox, which sends them in order, again after a
     * failure, and before a command that runs no jobs exits. Notes an older version left in the sink's state become
     * messages.
     */
    @Override
    public void start(Outbox box) {
        this.outbox = box;
        if (ctx == null) {
            return;
        }
        for (String prefix : List.of(SYNC_KEY, EVAL_KEY)) {
            ctx.state().withPrefix(prefix).forEach((key, value) -> {
                String subject = prefix.equals(SYNC_KEY) ? key.substring(SYNC_KEY.length(), key.lastIndexOf('/'))
                        : value;
                box.append(new OutboxMessage(key, prefix.equals(SYNC_KEY) ? SYNC_TYPE : EVAL_TYPE, subject,
                        value.getBytes(StandardCharsets.UTF_8), Instant.now()));
                ctx.state().delete(key);
            });
        }
    }

    @Override
    public void onCheckpointChanged(Checkpoint checkpoint) {
        // One key a move, so every move is sent, and each once.
        note(SYNC_KEY + checkpoint.id() + "/" + UUID.randomUUID(), SYNC_TYPE, checkpoint,
                checkpoint.stage().wireName());
    }

    @Override
    public void onCheckpointEvaluated(Checkpoint checkpoint, Evaluation evaluation) {
        note(EVAL_KEY + evaluation.id(), EVAL_TYPE, checkpoint, checkpoint.id());
    }

    private void note(String key, String type, Checkpoint c, String body) {
        Outbox box = outbox;
        if (box == null) {
            LOG.warn("{} of checkpoint {} is not sent to MLflow: the sink has no outbox (the service did not start "
                    + "it)", type, c.id());
            return;
        }
        box.append(new OutboxMessage(key, type, c.id(), body.getBytes(StandardCharsets.UTF_8), Instant.now()));
    }

    /** Brings the checkpoint's registered model in line with the registry, or sends an evaluation's figures. */
    @Override
    public Delivery deliver(OutboxMessage message, int attempt) {
        try {
            if (message.type().equals(EVAL_TYPE)) {
                return sendEvaluation(message.key().substring(EVAL_KEY.length()), message.subject());
            }
            Checkpoint c;
            try {
                c = ctx.checkpoints().get(message.subject());
            } catch (RuntimeException gone) {
                return Delivery.rejected("checkpoint " + message.subject() + " is gone from the registry: "
                        + gone.getMessage());
            }
            syncModel(c.tenant(), c.baseModel());
            return Delivery.sent();
        } catch (MlflowException e) {
            return e.retryable() || e.denied() ? Delivery.retry(e.getMessage(), e.retryAfter().orElse(null))
                    : Delivery.rejected(e.getMessage());
        }
    }

    @Override
    public Optional<String> describe(Job job) {
        if (ctx == null) {
            return Optional.empty();
        }
        Optional<String> raw = ctx.state().get(RUN_KEY + job.id());
        if (raw.isEmpty()) {
            return Optional.of("MLflow: no run yet (" + settings.uri() + ")" + health());
        }
        RunState st = RunState.read(raw.get());
        if (st.runId == null) {
            return Optional.of("MLflow: no run yet (" + settings.uri() + ")" + health());
        }
        if ("abandoned".equals(st.ended)) {
            return Optional.of("MLflow: run " + st.runId + " (" + runUrl(st) + "), tracking stopped: MLflow refused "
                    + "it (the worker's log says why)");
        }
        Page<JobEvent> waiting = ctx.events(job.id(), st.acked, 1000);
        int n = waiting.items().size();
        String behind = st.ended != null ? "run ended, up to date"
                : n == 0 ? (job.status().isTerminal() ? "ending the run" : "up to date")
                : "behind: " + (waiting.nextCursor() != null ? "1000 or more" : Integer.toString(n))
                        + " events not sent yet" + health();
        return Optional.of("MLflow: run " + st.runId + " (" + runUrl(st) + "), " + behind);
    }

    private String health() {
        return ctx.state().get(HEALTH_KEY).map(h -> "; last MLflow error: " + h).orElse("");
    }

    String runUrl(RunState st) {
        return settings.uiUri() + "/#/experiments/" + st.experimentId + "/runs/" + st.runId;
    }

    @Override
    public void close() {
        if (sender != null && !dirty.isEmpty()) {
            LOG.info("sending what MLflow does not have yet before exit (up to {} s)", closeFlush.toSeconds());
        }
        if (sender != null && !sender.close()) {
            LOG.warn("MLflow tracking stops with work left after waiting {} s (jobs {}); it is sent when the "
                    + "service starts again", closeFlush.toSeconds(), dirty);
        }
    }

    private void signal() {
        if (sender != null) {
            sender.wake();
        }
    }

    // ---- the sender thread

    /**
     * The sender: each round reconciles the registry once, then sends every job with news. A refused request is
     * logged and skipped (the job's run, on a 404, is given up); MLflow not answering, throttling or refusing the
     * credentials is a failed round, run again after the backoff (refused credentials after the longest: nothing
     * changes soon).
     */
    private final class Loop extends SendLoop {

        Loop(Backoff backoff) {
            super("training-mlflow", backoff, pollInterval, closeFlush);
        }

        @Override
        protected boolean round() {
            try {
                if (reconcile) {
                    reconcileRegistry();
                    reconcile = false;
                }
                for (String jobId : new ArrayList<>(dirty)) {
                    dirty.remove(jobId);
                    try {
                        syncJob(jobId);
                    } catch (MlflowException e) {
                        if (e.retryable() || e.denied()) {
                            dirty.add(jobId);
                            throw e;
                        }
                        abandon(jobId, e);
                    } catch (RuntimeException e) {
                        dirty.add(jobId);
                        throw e;
                    }
                }
                if (!closing()) {
                    checkBacklog();
                }
                return false;
            } catch (MlflowException e) {
                if (!e.retryable() && !e.denied()) {
                    LOG.warn("MLflow refused a request and it is skipped: {}", e.getMessage());
                    return false;
                }
                throw new Retry(e.getMessage(), e.denied() ? maxBackoff : e.retryAfter().orElse(null), e);
            }
        }

        @Override
        protected boolean idle() {
            return dirty.isEmpty();
        }

        @Override
        protected void failed(String detail, boolean first, boolean unexpected) {
            if (unexpected) {
                LOG.warn("MLflow tracking failed unexpectedly; trying again: {}", detail);
            } else if (first) {
                LOG.warn("MLflow at {} is not answering ({}); training goes on and tracking waits, sending again "
                        + "with backoff", settings.uri(), detail);
            }
            if (!detail.equals(lastError)) {
                lastError = detail;
                ctx.state().put(HEALTH_KEY, Instant.now() + " " + detail);
            }
        }

        @Override
        protected void recovered() {
            LOG.warn("MLflow answers again at {}; tracking catches up", settings.uri());
            lastError = null;
            ctx.state().delete(HEALTH_KEY);
        }
    }

    private void checkBacklog() {
        long backlog = 0;
        for (Map.Entry<String, Long> e : lastSeen.entrySet()) {
            RunState st = load(e.getKey());
            backlog += Math.max(0, e.getValue() - st.acked);
            if (st.ended != null) {
                lastSeen.remove(e.getKey());
            }
        }
        if (backlog > warnBacklog && !warnedBacklog) {
            warnedBacklog = true;
            LOG.warn("{} job events wait to be sent to MLflow (more than training.mlflow.outbox.warn-events = {}); "
                    + "they are kept in the job store and sent in order once MLflow keeps up", backlog, warnBacklog);
        } else if (backlog <= warnBacklog / 2) {
            warnedBacklog = false;
        }
    }

    // ---- runs

    private RunState load(String jobId) {
        return ctx.state().get(RUN_KEY + jobId).map(RunState::read).orElseGet(RunState::new);
    }

    private void save(String jobId, RunState st) {
        ctx.state().put(RUN_KEY + jobId, st.write());
    }

    /** Sends whatever of a job MLflow does not have yet, in order. */
    void syncJob(String jobId) {
        Optional<Job> found = ctx.job(jobId);
        if (found.isEmpty()) {
            return;
        }
        Job job = found.get();
        RunState st = load(jobId);
        if (st.ended != null) {
            return;
        }
        if (st.runId == null) {
            createRun(job, st);
        }
        if (st.verify) {
            String mark = MlflowClient.tagsOf(client.getRun(st.runId).path("data")).get(RunContent.EVENT_SEQ_TAG);
            if (mark != null) {
                st.acked = Math.max(st.acked, Long.parseLong(mark));
            }
            st.verify = false;
            save(jobId, st);
        }
        if (!st.setup) {
            sendSetup(job, st);
            st.setup = true;
            save(jobId, st);
        }
        while (true) {
            Page<JobEvent> page = ctx.events(jobId, st.acked, 1000);
            if (page.items().isEmpty()) {
                Job now = ctx.job(jobId).orElse(job);
                if (now.status().isTerminal()) {
                    // every event is sent but the run was not closed (a closing request failed, or the service
                    // stopped in between): close it now, and again after any failure, until it is
                    end(now, st, now.finishedAt() != null ? now.finishedAt() : Instant.now());
                }
                return;
            }
            Batch batch = new Batch();
            for (JobEvent e : page.items()) {
                List<MlflowClient.Metric> metrics = RunContent.metrics(e);
                Map<String, String> tags = RunContent.eventTags(job, e);
                if (!batch.fits(metrics, tags)) {
                    flush(jobId, st, batch);
                    batch = new Batch();
                }
                batch.add(metrics, tags, e.seq());
                if (e.type().equals(JobEvent.TYPE_STATUS) && isFinal(e)) {
                    flush(jobId, st, batch);
                    batch = new Batch();
                    end(ctx.job(jobId).orElse(job), st, e.time());
                    return;
                }
            }
            flush(jobId, st, batch);
        }
    }

    private static boolean isFinal(JobEvent e) {
        Object to = e.data().get("to");
        if (to == null) {
            return false;
        }
        for (JobStatus s : JobStatus.values()) {
            if (s.wireName().equals(String.valueOf(to))) {
                return s.isTerminal();
            }
        }
        return false;
    }

    private void flush(String jobId, RunState st, Batch b) {
        if (b.lastSeq <= st.acked) {
            return;
        }
        if (!b.metrics.isEmpty() || !b.tags.isEmpty()) {
            b.tags.put(RunContent.EVENT_SEQ_TAG, Long.toString(b.lastSeq));
            try {
                client.logBatch(st.runId, b.metrics, Map.of(), b.tags);
            } catch (MlflowException e) {
                if (e.ambiguous()) {
                    st.verify = true;
                    save(jobId, st);
                }
                if (e.retryable() || e.denied() || e.status() == 404) {
                    throw e;
                }
                // A batch the server will never take (it broke a rule we did not know of): skipped, not retried.
                LOG.warn("MLflow refused events {} to {} of job {}; they are skipped: {}", st.acked + 1, b.lastSeq,
                        jobId, e.getMessage());
            }
        }
        st.acked = b.lastSeq;
        save(jobId, st);
    }

    /** A job MLflow refuses to track (its run was deleted, say): logged once, and left alone from then on. */
    private void abandon(String jobId, MlflowException e) {
        LOG.warn("MLflow tracking of job {} stops: {}", jobId, e.getMessage());
        RunState st = load(jobId);
        st.ended = "abandoned";
        save(jobId, st);
        lastSeen.remove(jobId);
    }

    private String experiment(String tenant) {
        String name = settings.experiment().replace("{tenant}", tenant);
        return experiments.computeIfAbsent(name, n -> client.ensureExperiment(n, Map.of("training.tenant", tenant)));
    }

    private void createRun(Job job, RunState st) {
        String experimentId = experiment(job.spec().tenant());
        // A run made by an earlier attempt whose answer never arrived is found by its job tag, not made again.
        Optional<JsonNode> existing = client.findRun(experimentId, RunContent.JOB_TAG, job.id());
        JsonNode run;
        if (existing.isPresent()) {
            run = existing.get();
            st.verify = true;
        } else {
            Checkpoint.Lineage lineage = ctx.lineage(job);
            String parentRun = job.resumedFrom() == null ? null : load(job.resumedFrom()).runId;
            Map<String, String> tags = RunContent.tags(job, lineage, RunContent.datasets(job.spec()), parentRun);
            Map<String, String> first = new LinkedHashMap<>();
            tags.entrySet().stream().limit(MlflowClient.MAX_TAGS).forEach(e -> first.put(e.getKey(), e.getValue()));
            Instant start = job.startedAt() != null ? job.startedAt() : job.createdAt();
            run = client.createRun(experimentId, job.spec().name(), start.toEpochMilli(), first);
        }
        st.runId = run.path("info").path("run_id").asString();
        st.experimentId = experimentId;
        st.artifactUri = run.path("info").path("artifact_uri").asString();
        save(job.id(), st);
        ctx.annotate(job.id(), Map.of("mlflow.run_id", st.runId, "mlflow.run_url", runUrl(st),
                "mlflow.experiment_id", experimentId));
    }

    /** Params, the tags that did not fit the create call, and the small artifacts. */
    private void sendSetup(Job job, RunState st) {
        Map<String, String> params = RunContent.params(job.spec(), settings.maxParamLength());
        Map<String, String> tags = RunContent.tags(job, ctx.lineage(job), RunContent.datasets(job.spec()),
                job.resumedFrom() == null ? null : load(job.resumedFrom()).runId);
        List<Map.Entry<String, String>> p = new ArrayList<>(params.entrySet());
        List<Map.Entry<String, String>> t = new ArrayList<>(tags.entrySet());
        for (int i = 0, j = 0; i < p.size() || j < t.size(); i += MlflowClient.MAX_PARAMS, j += MlflowClient.MAX_TAGS) {
            client.logBatch(st.runId, List.of(), slice(p, i, MlflowClient.MAX_PARAMS), slice(t, j, MlflowClient.MAX_TAGS));
        }
        Path folder = jobFolder(job);
        uploadFile(st, folder.resolve("spec.json"), "spec.json");
        if (job.estimate() != null) {
            client.uploadArtifact(st.artifactUri, "estimate.json", MlflowClient.JSON.writerWithDefaultPrettyPrinter()
                    .writeValueAsBytes(job.estimate()));
        }
        ObjectNode data = MlflowClient.JSON.createObjectNode();
        RunContent.datasets(job.spec()).forEach((path, f) -> data.putObject(path).put("sha256", f.sha256())
                .put("lines", f.lines()).put("bytes", f.bytes()));
        ObjectNode reports = MlflowClient.JSON.createObjectNode();
        reports.set("datasets", data);
        List<String> findings = new ArrayList<>();
        for (JobEvent e : ctx.events(job.id(), 0, 1000).items()) {
            if (e.type().equals(JobEvent.TYPE_VALIDATION)) {
                findings.add(e.message());
            }
        }
        reports.set("validation", MlflowClient.JSON.valueToTree(findings));
        client.uploadArtifact(st.artifactUri, "datasets.json", MlflowClient.JSON.writerWithDefaultPrettyPrinter()
                .writeValueAsBytes(reports));
    }

    private static Map<String, String> slice(List<Map.Entry<String, String>> entries, int from, int size) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = from; i < Math.min(entries.size(), from + size); i++) {
            out.put(entries.get(i).getKey(), entries.get(i).getValue());
        }
        return out;
    }

    private Path jobFolder(Job job) {
        return ctx.home().resolve("jobs").resolve(job.id());
    }

    private void uploadFile(RunState st, Path file, String name) {
        if (Files.isRegularFile(file)) {
            try {
                client.uploadArtifact(st.artifactUri, name, Files.readAllBytes(file));
            } catch (IOException e) {
                LOG.warn("cannot read {} to send it to MLflow: {}", file, e.toString());
            }
        }
    }

    /** The job reached a final status: its checkpoints' ids as tags, its events file, then the run's status. */
    private void end(Job job, RunState st, Instant endedAt) {
        Map<String, String> tags = new LinkedHashMap<>();
        if (job.failure() != null) {
            tags.put("training.failure_cause", job.failure().cause().wireName());
            tags.put("training.failure_message", RunContent.cut(job.failure().message(), RunContent.MAX_TAG_LENGTH));
        }
        List<Checkpoint> checkpoints = ctx.checkpoints().list(CheckpointQuery.builder().jobId(job.id()).build()).items();
        ArrayNodeWriter manifest = new ArrayNodeWriter();
        for (Checkpoint c : checkpoints) {
            String key = c.last() ? "training.checkpoint.output" : "training.checkpoint.step-" + c.step();
            tags.put(key, c.id());
            tags.put(key + ".blob_store", RunContent.cut(c.blobStore(), RunContent.MAX_TAG_LENGTH));
            manifest.add(c);
        }
        Map<String, String> first = new LinkedHashMap<>();
        tags.entrySet().stream().limit(MlflowClient.MAX_TAGS).forEach(x -> first.put(x.getKey(), x.getValue()));
        if (!first.isEmpty()) {
            client.logBatch(st.runId, List.of(), Map.of(), first);
        }
        if (!checkpoints.isEmpty()) {
            client.uploadArtifact(st.artifactUri, "checkpoints.json", manifest.bytes());
        }
        uploadFile(st, jobFolder(job).resolve("events.jsonl"), "events.jsonl");
        client.updateRun(st.runId, RunContent.runStatus(job.status()), endedAt.toEpochMilli());
        st.ended = job.status().wireName();
        save(job.id(), st);
        lastSeen.remove(job.id());
    }

    /** The checkpoints of a job as a JSON list: ids, files with SHA-256, where their blobs are. */
    private static final class ArrayNodeWriter {
        private final tools.jackson.databind.node.ArrayNode list = MlflowClient.JSON.createArrayNode();

        void add(Checkpoint c) {
            ObjectNode n = list.addObject().put("id", c.id()).put("step", c.step()).put("final", c.last())
                    .put("stage", c.stage().wireName()).put("blob_store", c.blobStore());
            tools.jackson.databind.node.ArrayNode files = n.putArray("files");
            c.files().forEach(f -> files.addObject().put("path", f.path()).put("size", f.size())
                    .put("sha256", f.sha256()));
        }

        byte[] bytes() {
            return MlflowClient.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(list);
        }
    }

    /** Metrics and tags of consecutive events, within one log-batch's limits. */
    private static final class Batch {
        final List<MlflowClient.Metric> metrics = new ArrayList<>();
        final Map<String, String> tags = new LinkedHashMap<>();
        long lastSeq;

        boolean fits(List<MlflowClient.Metric> m, Map<String, String> t) {
            // One tag is kept free for the high-water mark.
            return metrics.size() + m.size() <= MlflowClient.MAX_METRICS
                    && tags.size() + t.size() < MlflowClient.MAX_TAGS
                    && metrics.size() + m.size() + tags.size() + t.size() < MlflowClient.MAX_ENTRIES;
        }

        void add(List<MlflowClient.Metric> m, Map<String, String> t, long seq) {
            metrics.addAll(m);
            tags.putAll(t);
            lastSeq = seq;
        }
    }

    // ---- the model registry and evaluations on demand

    /**
     * Logs an evaluation's figures to its checkpoint's job run, at the checkpoint's step: the checkpoint's as
     * {@code eval_ondemand/<data sha256, 12 digits>/<name>}, its base model's under {@code .../base/<name>}. Sent again
     * after a crash, the same points (same timestamp) are dropped by MLflow.
     */
    private Delivery sendEvaluation(String id, String checkpointId) {
        Checkpoint c;
        Optional<Evaluation> e;
        try {
            c = ctx.checkpoints().get(checkpointId);
            e = ctx.checkpoints().evaluations(c.id()).stream().filter(x -> x.id().equals(id)).findFirst();
        } catch (RuntimeException gone) {
            return Delivery.rejected("checkpoint " + checkpointId + " is gone from the registry: " + gone.getMessage());
        }
        if (e.isEmpty()) {
            return Delivery.rejected("evaluation " + id + " is gone from the registry");
        }
        RunState st = load(c.jobId());
        if ("abandoned".equals(st.ended)) {
            return Delivery.rejected("MLflow refused job " + c.jobId() + "'s run");
        }
        if (st.runId == null) {
            return Delivery.retry("job " + c.jobId() + " has no MLflow run yet", null);
        }
        Evaluation ev = e.get();
        String prefix = EVAL_METRIC_PREFIX + ev.dataSha256().substring(0, 12) + "/";
        long at = ev.createdAt().toEpochMilli();
        List<MlflowClient.Metric> metrics = new ArrayList<>();
        ev.metrics().forEach((k, v) -> metrics.add(new MlflowClient.Metric(prefix + k, v, at, c.step())));
        ev.baseMetrics().forEach((k, v) -> metrics.add(new MlflowClient.Metric(prefix + "base/" + k, v, at,
                c.step())));
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put("training.evaluation." + ev.dataSha256().substring(0, 12) + ".data", RunContent.cut(ev.data(),
                RunContent.MAX_TAG_LENGTH));
        tags.put("training.evaluation." + ev.dataSha256().substring(0, 12) + ".checkpoint", c.id());
        client.logBatch(st.runId, metrics, Map.of(), tags);
        return Delivery.sent();
    }

    /** Brings every registered model in line with the registry; a second pass changes nothing. */
    void reconcileRegistry() {
        Set<List<String>> models = new TreeSet<>(Comparator.comparing((List<String> l) -> l.get(0))
                .thenComparing(l -> l.get(1)));
        for (CheckpointStage stage : List.of(CheckpointStage.APPROVED, CheckpointStage.DEPRECATED)) {
            for (Checkpoint c : all(null, null, stage)) {
                models.add(List.of(c.tenant(), c.baseModel()));
            }
        }
        for (List<String> m : models) {
            syncModel(m.get(0), m.get(1));
        }
    }

    private List<Checkpoint> all(String tenant, String baseModel, CheckpointStage stage) {
        List<Checkpoint> out = new ArrayList<>();
        String after = null;
        do {
            Page<Checkpoint> page = ctx.checkpoints().list(CheckpointQuery.builder().tenant(tenant)
                    .baseModel(baseModel).stage(stage).after(after).build());
            out.addAll(page.items());
            after = page.nextCursor();
        } while (after != null);
        return out;
    }

    String modelName(String tenant, String baseModel) {
        String base = baseModel.replaceAll("^/+", "").replaceAll("[^A-Za-z0-9._-]+", "-");
        return settings.modelName().replace("{tenant}", tenant).replace("{base_model}", base);
    }

    private void syncModel(String tenant, String baseModel) {
        String name = modelName(tenant, baseModel);
        List<Checkpoint> approved = all(tenant, baseModel, CheckpointStage.APPROVED);
        List<Checkpoint> deprecated = all(tenant, baseModel, CheckpointStage.DEPRECATED);
        Map<String, JsonNode> versions = new LinkedHashMap<>();
        for (JsonNode v : client.modelVersions(name)) {
            String id = MlflowClient.tagsOf(v).get("checkpoint.id");
            if (id != null) {
                versions.put(id, v);
            }
        }
        if (!approved.isEmpty() && versions.isEmpty()) {
            client.ensureRegisteredModel(name, Map.of("training.tenant", tenant, "training.base_model", baseModel));
        }
        Map<String, String> versionOf = new LinkedHashMap<>();
        versions.forEach((id, v) -> versionOf.put(id, v.path("version").asString()));
        for (Checkpoint c : approved) {
            JsonNode v = versions.get(c.id());
            if (v == null) {
                versionOf.put(c.id(), createVersion(name, c));
            } else if (!"approved".equals(MlflowClient.tagsOf(v).get("stage"))) {
                client.setModelVersionTag(name, versionOf.get(c.id()), "stage", "approved");
            }
        }
        for (Checkpoint c : deprecated) {
            JsonNode v = versions.get(c.id());
            if (v != null && !"true".equals(MlflowClient.tagsOf(v).get("deprecated"))) {
                client.describeModelVersion(name, versionOf.get(c.id()), description(c, "deprecated"));
                client.setModelVersionTag(name, versionOf.get(c.id()), "deprecated", "true");
                client.setModelVersionTag(name, versionOf.get(c.id()), "stage", "deprecated");
            }
        }
        Checkpoint newest = null;
        Instant newestAt = Instant.MIN;
        for (Checkpoint c : approved) {
            Instant at = approvedAt(c);
            if (newest == null || at.isAfter(newestAt)) {
                newest = c;
                newestAt = at;
            }
        }
        Optional<String> current = versions.isEmpty() && approved.isEmpty() ? Optional.empty()
                : client.alias(name, APPROVED_ALIAS);
        if (newest == null) {
            if (current.isPresent()) {
                client.deleteAlias(name, APPROVED_ALIAS);
            }
        } else if (!current.equals(Optional.of(versionOf.get(newest.id())))) {
            client.setAlias(name, APPROVED_ALIAS, versionOf.get(newest.id()));
        }
    }

    private Instant approvedAt(Checkpoint c) {
        Instant at = c.createdAt();
        for (Checkpoint.Transition t : ctx.checkpoints().history(c.id())) {
            if (t.to() == CheckpointStage.APPROVED) {
                at = t.time();
            }
        }
        return at;
    }

    /** A version for an approved checkpoint: its manifest goes to the job's run, the files stay in the registry. */
    private String createVersion(String name, Checkpoint c) {
        RunState st = load(c.jobId());
        String source = c.blobStore();
        String runId = null;
        if (st.runId != null && st.artifactUri != null) {
            ArrayNodeWriter manifest = new ArrayNodeWriter();
            manifest.add(c);
            String path = "checkpoints/" + c.id();
            client.uploadArtifact(st.artifactUri, path + "/checkpoint.json", manifest.bytes());
            source = st.artifactUri + "/" + path;
            runId = st.runId;
        }
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put("checkpoint.id", c.id());
        tags.put("checkpoint.blob_store", RunContent.cut(c.blobStore(), RunContent.MAX_TAG_LENGTH));
        tags.put("checkpoint.step", Long.toString(c.step()));
        tags.put("training.job_id", c.jobId());
        tags.put("stage", "approved");
        return client.createModelVersion(name, source, runId, tags, description(c, "approved"));
    }

    /** @return a version's description: which checkpoint, its stage, and how to fetch its files */
    private static String description(Checkpoint c, String stage) {
        return "checkpoint " + c.id() + " of job " + c.jobId() + " (" + c.method() + ", step " + c.step() + "), "
                + stage + " in the training registry; its files: 'training checkpoints download " + c.id()
                + "' (the source's checkpoint.json lists them, with their SHA-256 and blob store)";
    }

    /** What the sink knows of a job's run, kept in the home's database. */
    static final class RunState {
        String runId;
        String experimentId;
        String artifactUri;
        long acked;
        boolean setup;
        boolean verify;
        String ended;

        static RunState read(String json) {
            JsonNode n = MlflowClient.JSON.readTree(json);
            RunState s = new RunState();
            s.runId = text(n, "run_id");
            s.experimentId = text(n, "experiment_id");
            s.artifactUri = text(n, "artifact_uri");
            s.acked = n.path("acked_seq").asLong(0);
            s.setup = n.path("setup").asBoolean(false);
            s.verify = n.path("verify").asBoolean(false);
            s.ended = text(n, "ended");
            return s;
        }

        private static String text(JsonNode n, String key) {
            return n.hasNonNull(key) ? n.get(key).asString() : null;
        }

        String write() {
            ObjectNode n = MlflowClient.JSON.createObjectNode();
            n.put("run_id", runId).put("experiment_id", experimentId).put("artifact_uri", artifactUri)
                    .put("acked_seq", acked).put("setup", setup).put("verify", verify).put("ended", ended);
            return MlflowClient.JSON.writeValueAsString(n);
        }
    }
}
