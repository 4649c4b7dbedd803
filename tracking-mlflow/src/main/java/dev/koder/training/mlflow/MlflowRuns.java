package dev.koder.training.mlflow;

import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.CheckpointQuery;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.spi.Backoff;
import dev.koder.training.spi.JobEventStream;
import dev.koder.training.spi.TrackingContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.LinkedHashMap;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Every job as an MLflow run: made when the job is first seen (or found by its job tag when an earlier try made
 * it), then its params, tags and small artifacts, then its events as log-batches within MLflow's limits, each
 * carrying the stream's high-water mark as a tag (so after a lost answer the run itself says how far it got), and
 * at the end the checkpoints, the events file and the run's status. Delivery (the cursor, the retries, the check
 * after an ambiguous failure, the backlog warning) is {@link JobEventStream}'s.
 */
final class MlflowRuns extends JobEventStream {

    private static final Logger LOG = LoggerFactory.getLogger(MlflowRuns.class);

    static final String RUN_KEY = "run/";
    static final String HEALTH_KEY = "health";

    private final MlflowSettings settings;
    private final MlflowClient client;
    private final Duration maxBackoff;
    private final Map<String, String> experiments = new ConcurrentHashMap<>();
    private volatile String lastError;

    MlflowRuns(MlflowSettings settings, MlflowClient client, Duration poll, Duration maxBackoff, Duration closeWait,
            long warnEvents) {
        super("training-mlflow", new Backoff(Duration.ofMillis(500).compareTo(maxBackoff) > 0 ? maxBackoff
                : Duration.ofMillis(500), maxBackoff), poll, closeWait, warnEvents);
        this.settings = settings;
        this.client = client;
        this.maxBackoff = maxBackoff;
    }

    /**
     * Moves what an older version kept in a run's state (how far its events went, whether it ended) to the stream's
     * cursor; called before {@link #start}.
     *
     * @param context the tracking context
     */
    static void upgrade(TrackingContext context) {
        for (Map.Entry<String, String> e : context.state().withPrefix(RUN_KEY).entrySet()) {
            JsonNode n = MlflowClient.JSON.readTree(e.getValue());
            if (n.has("acked_seq")) {
                String jobId = e.getKey().substring(RUN_KEY.length());
                JobEventStream.seed(context.state(), jobId, new Position(n.path("acked_seq").asLong(0),
                        n.path("verify").asBoolean(false), n.hasNonNull("ended") ? n.get("ended").asString() : null));
                context.state().put(e.getKey(), RunState.read(e.getValue()).write());
            }
        }
    }

    RunState load(String jobId) {
        return context().state().get(RUN_KEY + jobId).map(RunState::read).orElseGet(RunState::new);
    }

    private void save(String jobId, RunState st) {
        context().state().put(RUN_KEY + jobId, st.write());
    }

    String runUrl(RunState st) {
        return settings.uiUri() + "/#/experiments/" + st.experimentId + "/runs/" + st.runId;
    }

    // ---- the stream

    @Override
    protected void open(Job job) {
        RunState st = load(job.id());
        if (st.runId == null) {
            createRun(job, st);
        }
        if (!st.setup) {
            sendSetup(job, st);
            st.setup = true;
            save(job.id(), st);
        }
    }

    @Override
    protected OptionalLong confirmed(Job job) {
        RunState st = load(job.id());
        if (st.runId == null) {
            return OptionalLong.empty();
        }
        String mark = MlflowClient.tagsOf(client.getRun(st.runId).path("data")).get(RunContent.EVENT_SEQ_TAG);
        return mark == null ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(mark));
    }

    @Override
    protected int fit(Job job, List<JobEvent> events) {
        int metrics = 0;
        int tags = 1; // one tag is kept free for the high-water mark
        int n = 0;
        for (JobEvent e : events) {
            int m = RunContent.metrics(e).size();
            int t = RunContent.eventTags(job, e).size();
            if (n > 0 && (metrics + m > MlflowClient.MAX_METRICS || tags + t > MlflowClient.MAX_TAGS
                    || metrics + m + tags + t > MlflowClient.MAX_ENTRIES)) {
                break;
            }
            metrics += m;
            tags += t;
            n++;
        }
        return n;
    }

    @Override
    protected void send(Job job, List<JobEvent> events) {
        List<MlflowClient.Metric> metrics = new ArrayList<>();
        Map<String, String> tags = new LinkedHashMap<>();
        for (JobEvent e : events) {
            metrics.addAll(RunContent.metrics(e));
            tags.putAll(RunContent.eventTags(job, e));
        }
        if (metrics.isEmpty() && tags.isEmpty()) {
            return;
        }
        tags.put(RunContent.EVENT_SEQ_TAG, Long.toString(events.get(events.size() - 1).seq()));
        client.logBatch(load(job.id()).runId, metrics, Map.of(), tags);
    }

    /** The job reached a final status: its checkpoints' ids as tags, its events file, then the run's status. */
    @Override
    protected void end(Job job, Instant endedAt) {
        RunState st = load(job.id());
        Map<String, String> tags = new LinkedHashMap<>();
        if (job.failure() != null) {
            tags.put("training.failure_cause", job.failure().cause().wireName());
            tags.put("training.failure_message", RunContent.cut(job.failure().message(), RunContent.MAX_TAG_LENGTH));
        }
        List<Checkpoint> checkpoints = context().checkpoints().list(CheckpointQuery.builder().jobId(job.id()).build())
                .items();
        Manifest manifest = new Manifest();
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
    }

    /**
     * No answer, 429 and 5xx are tried again (after what the server asked, if it did); refused credentials after
     * the longest backoff (nothing changes soon); a 404 means the run is gone; any other 4xx refuses what was sent.
     */
    @Override
    protected Failure classify(RuntimeException failure) {
        if (!(failure instanceof MlflowException e)) {
            return null;
        }
        if (e.denied()) {
            return new Failure(Outcome.RETRY, maxBackoff);
        }
        if (e.retryable()) {
            return new Failure(e.ambiguous() ? Outcome.UNKNOWN : Outcome.RETRY, e.retryAfter().orElse(null));
        }
        return new Failure(e.status() == 404 ? Outcome.GIVE_UP : Outcome.SKIP, null);
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
            context().state().put(HEALTH_KEY, Instant.now() + " " + detail);
        }
    }

    @Override
    protected void recovered() {
        LOG.warn("MLflow answers again at {}; tracking catches up", settings.uri());
        lastError = null;
        context().state().delete(HEALTH_KEY);
    }

    @Override
    protected void skipped(String jobId, long fromSeq, long toSeq, String detail) {
        // A batch the server will never take (it broke a rule we did not know of): skipped, not retried.
        LOG.warn("MLflow refused events {} to {} of job {}; they are skipped: {}", fromSeq, toSeq, jobId, detail);
    }

    @Override
    protected void abandoned(String jobId, String detail) {
        LOG.warn("MLflow tracking of job {} stops: {}", jobId, detail);
    }

    @Override
    protected void backlog(long waiting, long threshold) {
        LOG.warn("{} job events wait to be sent to MLflow (more than training.mlflow.outbox.warn-events = {}); "
                + "they are kept in the job store and sent in order once MLflow keeps up", waiting, threshold);
    }

    // ---- a run's beginning

    private String experiment(String tenant) {
        String name = settings.experiment().replace("{tenant}", tenant);
        return experiments.computeIfAbsent(name, n -> client.ensureExperiment(n, Map.of("training.tenant", tenant)));
    }

    private void createRun(Job job, RunState st) {
        String experimentId = experiment(job.spec().tenant());
        // A run made by an earlier try whose answer never arrived is found by its job tag, not made again; the
        // stream asks it how far it got (the try's failure was ambiguous).
        Optional<JsonNode> existing = client.findRun(experimentId, RunContent.JOB_TAG, job.id());
        JsonNode run;
        if (existing.isPresent()) {
            run = existing.get();
        } else {
            Map<String, String> tags = RunContent.tags(job, context().lineage(job), RunContent.datasets(job.spec()),
                    parentRun(job));
            Map<String, String> first = new LinkedHashMap<>();
            tags.entrySet().stream().limit(MlflowClient.MAX_TAGS).forEach(e -> first.put(e.getKey(), e.getValue()));
            Instant start = job.startedAt() != null ? job.startedAt() : job.createdAt();
            run = client.createRun(experimentId, job.spec().name(), start.toEpochMilli(), first);
        }
        st.runId = run.path("info").path("run_id").asString();
        st.experimentId = experimentId;
        st.artifactUri = run.path("info").path("artifact_uri").asString();
        save(job.id(), st);
        context().annotate(job.id(), Map.of("mlflow.run_id", st.runId, "mlflow.run_url", runUrl(st),
                "mlflow.experiment_id", experimentId));
    }

    private String parentRun(Job job) {
        return job.resumedFrom() == null ? null : load(job.resumedFrom()).runId;
    }

    /** Params, the tags that did not fit the create call, and the small artifacts. */
    private void sendSetup(Job job, RunState st) {
        Map<String, String> params = RunContent.params(job.spec(), settings.maxParamLength());
        Map<String, String> tags = RunContent.tags(job, context().lineage(job), RunContent.datasets(job.spec()),
                parentRun(job));
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
        for (JobEvent e : context().events(job.id(), 0, 1000).items()) {
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
        return context().home().resolve("jobs").resolve(job.id());
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

    /** The checkpoints of a job as a JSON list: ids, files with SHA-256, where their blobs are. */
    static final class Manifest {
        private final ArrayNode list = MlflowClient.JSON.createArrayNode();

        void add(Checkpoint c) {
            ObjectNode n = list.addObject().put("id", c.id()).put("step", c.step()).put("final", c.last())
                    .put("stage", c.stage().wireName()).put("blob_store", c.blobStore());
            ArrayNode files = n.putArray("files");
            c.files().forEach(f -> files.addObject().put("path", f.path()).put("size", f.size())
                    .put("sha256", f.sha256()));
        }

        byte[] bytes() {
            return MlflowClient.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(list);
        }
    }

    /** Which run a job has, kept in the home's database (how far its events went is the stream's cursor). */
    static final class RunState {
        String runId;
        String experimentId;
        String artifactUri;
        boolean setup;

        static RunState read(String json) {
            JsonNode n = MlflowClient.JSON.readTree(json);
            RunState s = new RunState();
            s.runId = text(n, "run_id");
            s.experimentId = text(n, "experiment_id");
            s.artifactUri = text(n, "artifact_uri");
            s.setup = n.path("setup").asBoolean(false);
            return s;
        }

        private static String text(JsonNode n, String key) {
            return n.hasNonNull(key) ? n.get(key).asString() : null;
        }

        String write() {
            ObjectNode n = MlflowClient.JSON.createObjectNode();
            n.put("run_id", runId).put("experiment_id", experimentId).put("artifact_uri", artifactUri)
                    .put("setup", setup);
            return MlflowClient.JSON.writeValueAsString(n);
        }
    }
}
