package dev.koder.training.mlflow;

import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.CheckpointQuery;
import dev.koder.training.api.CheckpointStage;
import dev.koder.training.api.Evaluation;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.Page;
import dev.koder.training.spi.Delivery;
import dev.koder.training.spi.JobEventStream;
import dev.koder.training.spi.OutboundSink;
import dev.koder.training.spi.Outbox;
import dev.koder.training.spi.OutboxMessage;
import dev.koder.training.spi.TrackingContext;
import dev.koder.training.spi.TrackingSink;
import java.nio.charset.StandardCharsets;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * Tracks every job as an MLflow run and approved checkpoints as versions of registered models.
 *
 * <p>Jobs go through {@link MlflowRuns}, a {@link dev.koder.training.spi.JobEventStream}: nothing runs on a job's
 * threads, the job store is the outbox, and a durable cursor per job (with the run's high-water mark tag to check
 * after a lost answer) means an outage only delays tracking and nothing is lost or sent twice. Registry syncs,
 * evaluations on demand and the reconciliation of the registry at the worker's start go through the service's
 * outbox ({@link OutboundSink}). Retryable failures (no answer, 429, 5xx) back off exponentially (honouring
 * Retry-After); any other 4xx is logged and that piece of work skipped.
 *
 * <p>Only the process that runs a home's jobs sends; other processes on the home (the CLI approving a
 * checkpoint) append to the outbox, which the worker's sender (or the process itself, on close) sends.
 */
final class MlflowTrackingSink implements TrackingSink, OutboundSink {

    private static final Logger LOG = LoggerFactory.getLogger(MlflowTrackingSink.class);

    static final String APPROVED_ALIAS = "approved";
    /** Keys of outbox messages that bring a model in line with the registry (and of notes older homes left). */
    private static final String SYNC_KEY = "sync/";
    /** Keys of outbox messages that send an evaluation on demand (and of notes older homes left). */
    private static final String EVAL_KEY = "evaluation/";
    /** Keys of outbox messages that bring every model in line with the registry, one a worker start. */
    private static final String RECONCILE_KEY = "reconcile/";
    private static final String SYNC_TYPE = "registry-sync";
    private static final String EVAL_TYPE = "evaluation";
    private static final String RECONCILE_TYPE = "registry-reconcile";
    /** Metric keys of evaluations on demand: this, the data's SHA-256 (12 digits), then the figure's name. */
    static final String EVAL_METRIC_PREFIX = "eval_ondemand/";

    private final MlflowSettings settings;
    private final MlflowClient client;
    private final MlflowRuns runs;
    private final Duration closeFlush;
    private TrackingContext ctx;
    private volatile Outbox outbox;

    MlflowTrackingSink(MlflowSettings settings, Duration pollInterval, Duration maxBackoff, Duration closeFlush,
            long warnBacklog) {
        this.settings = settings;
        this.client = new MlflowClient(settings);
        this.runs = new MlflowRuns(settings, client, pollInterval, maxBackoff, closeFlush, warnBacklog);
        this.closeFlush = closeFlush;
    }

    /** @return requests sent to MLflow so far */
    long requests() {
        return client.requests();
    }

    @Override
    public void start(TrackingContext context) {
        this.ctx = context;
        if (context.sends()) {
            MlflowRuns.upgrade(context);
        }
        runs.start(context);
    }

    @Override
    public void onEvent(Job job, JobEvent event) {
        runs.onEvent(job, event);
    }

    @Override
    public String outboxName() {
        return "mlflow";
    }

    /**
     * Registry syncs and evaluations go through the service's outbox, which sends them in order, again after a
     * failure, and before a command that runs no jobs exits; in the worker, a reconciliation of the whole registry
     * goes first. Notes an older version left in the sink's state become messages.
     */
    @Override
    public void start(Outbox box) {
        this.outbox = box;
        if (ctx == null) {
            return;
        }
        if (ctx.sends()) {
            box.append(new OutboxMessage(RECONCILE_KEY + UUID.randomUUID(), RECONCILE_TYPE, "registry", new byte[0],
                    Instant.now()));
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

    /** Brings a checkpoint's registered model (or every model) in line with the registry, or sends an evaluation. */
    @Override
    public Delivery deliver(OutboxMessage message, int attempt) {
        try {
            if (message.type().equals(EVAL_TYPE)) {
                return sendEvaluation(message.key().substring(EVAL_KEY.length()), message.subject());
            }
            if (message.type().equals(RECONCILE_TYPE)) {
                reconcileRegistry();
                return Delivery.sent();
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
        MlflowRuns.RunState st = runs.load(job.id());
        if (st.runId == null) {
            return Optional.of("MLflow: no run yet (" + settings.uri() + ")" + health());
        }
        JobEventStream.Position at = runs.position(job.id());
        if (JobEventStream.Position.ABANDONED.equals(at.ended())) {
            return Optional.of("MLflow: run " + st.runId + " (" + runs.runUrl(st) + "), tracking stopped: MLflow "
                    + "refused it (the worker's log says why)");
        }
        int n = at.ended() != null ? 0 : runs.waiting(job.id(), 1000);
        String behind = at.ended() != null ? "run ended, up to date"
                : n == 0 ? (job.status().isTerminal() ? "ending the run" : "up to date")
                : "behind: " + (n >= 1000 ? "1000 or more" : Integer.toString(n)) + " events not sent yet" + health();
        return Optional.of("MLflow: run " + st.runId + " (" + runs.runUrl(st) + "), " + behind);
    }

    private String health() {
        return ctx.state().get(MlflowRuns.HEALTH_KEY).map(h -> "; last MLflow error: " + h).orElse("");
    }

    @Override
    public void close() {
        Set<String> left = runs.pending();
        if (!left.isEmpty()) {
            LOG.info("sending what MLflow does not have yet before exit (up to {} s)", closeFlush.toSeconds());
        }
        if (!runs.close()) {
            LOG.warn("MLflow tracking stops with work left after waiting {} s (jobs {}); it is sent when the "
                    + "service starts again", closeFlush.toSeconds(), runs.pending());
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
        MlflowRuns.RunState st = runs.load(c.jobId());
        if (JobEventStream.Position.ABANDONED.equals(runs.position(c.jobId()).ended())) {
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
        MlflowRuns.RunState st = runs.load(c.jobId());
        String source = c.blobStore();
        String runId = null;
        if (st.runId != null && st.artifactUri != null) {
            MlflowRuns.Manifest manifest = new MlflowRuns.Manifest();
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
}
