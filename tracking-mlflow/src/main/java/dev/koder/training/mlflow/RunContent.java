package dev.koder.training.mlflow;

import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.CostEstimate;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.JobSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * What a job looks like in MLflow: params (the flattened spec), tags, and the metrics each event carries, with
 * names and values kept within MLflow's rules. Pure functions of the job and its events.
 */
final class RunContent {

    /** MLflow's longest metric, param and tag key. */
    static final int MAX_KEY_LENGTH = 250;
    /** MLflow 2.x/3.x longest tag value. */
    static final int MAX_TAG_LENGTH = 8000;
    /** The tag that holds the last job event sent to the run: the run's high-water mark. */
    static final String EVENT_SEQ_TAG = "training.event_seq";
    /** The tag that finds a job's run. */
    static final String JOB_TAG = "training.job_id";

    private static final Set<String> NOT_METRICS = Set.of("step", "total_steps");

    private RunContent() {
    }

    /**
     * @param spec the job's spec
     * @param maxValue the server's longest param value; longer values are cut, marked with "..."
     * @return the spec flattened to dotted keys ({@code method.lora.rank}, {@code hyperparameters.learning_rate}),
     *     lists as JSON, in a stable order
     */
    static Map<String, String> params(JobSpec spec, int maxValue) {
        Map<String, String> out = new LinkedHashMap<>();
        flatten("", MlflowClient.JSON.valueToTree(spec), out);
        Map<String, String> safe = new LinkedHashMap<>();
        out.forEach((k, v) -> safe.put(key(k), cut(v, maxValue)));
        return safe;
    }

    private static void flatten(String prefix, JsonNode node, Map<String, String> out) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return;
        }
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.properties().iterator(); it.hasNext();) {
                Map.Entry<String, JsonNode> e = it.next();
                flatten(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), e.getValue(), out);
            }
        } else if (node.isArray()) {
            out.put(prefix, MlflowClient.JSON.writeValueAsString(node));
        } else {
            out.put(prefix, node.asString());
        }
    }

    /**
     * @return the tags set when the run is made: who, what, from which data, at what estimated cost, and a
     *     readable note for the run's page
     */
    static Map<String, String> tags(Job job, Checkpoint.Lineage lineage, Map<String, DatasetFacts> datasets,
            String parentRun) {
        JobSpec spec = job.spec();
        Map<String, String> t = new LinkedHashMap<>();
        t.put(JOB_TAG, job.id());
        t.put("mlflow.runName", spec.name());
        t.put("mlflow.user", spec.tenant());
        t.put("mlflow.source.name", "koder-training");
        t.put("training.tenant", spec.tenant());
        t.put("training.tier", spec.tier().wireName());
        t.put("training.runner", job.runner());
        t.put("training.base_model", spec.baseModel());
        if (lineage != null && lineage.baseModelRevision() != null) {
            t.put("training.base_model_revision", lineage.baseModelRevision());
        }
        t.put("training.method", spec.method().label());
        if (lineage != null) {
            t.put("training.spec_sha256", lineage.specHash());
        }
        int i = 0;
        for (Map.Entry<String, DatasetFacts> d : datasets.entrySet()) {
            String k = "training.dataset." + (i++ == 0 ? "train" : "validation");
            t.put(k + ".path", cut(d.getKey(), MAX_TAG_LENGTH));
            t.put(k + ".sha256", d.getValue().sha256());
            t.put(k + ".lines", Long.toString(d.getValue().lines()));
        }
        CostEstimate e = job.estimate();
        if (e != null) {
            t.put("training.estimate.gpu_hours", String.format(Locale.ROOT, "%.4f", e.gpuHours()));
            t.put("training.estimate.wall_seconds", String.format(Locale.ROOT, "%.0f", e.wallSeconds()));
            t.put("training.estimate.device", e.device());
            if (e.price() != null) {
                t.put("training.estimate.price", String.format(Locale.ROOT, "%.2f %s", e.price(), e.currency()));
            }
        }
        if (job.resumedFrom() != null) {
            t.put("training.parent_job_id", job.resumedFrom());
            if (parentRun != null) {
                t.put("training.parent_run_id", parentRun);
                t.put("mlflow.parentRunId", parentRun);
            }
        }
        t.put("mlflow.note.content", cut(note(job, datasets), MAX_TAG_LENGTH));
        return t;
    }

    private static String note(Job job, Map<String, DatasetFacts> datasets) {
        JobSpec s = job.spec();
        StringBuilder b = new StringBuilder();
        b.append("**").append(s.method().label()).append("** fine-tune of `").append(s.baseModel())
                .append("` for tenant `").append(s.tenant()).append("` (").append(s.tier().wireName())
                .append(" tier), trained with the ").append(job.runner()).append(" runner.\n\n");
        b.append("Job `").append(job.id()).append("`");
        if (job.resumedFrom() != null) {
            b.append(", resumed from `").append(job.resumedFrom()).append('`');
        }
        b.append(".\n\n");
        datasets.forEach((path, f) -> b.append("- data `").append(path).append("`: ").append(f.lines())
                .append(" lines, sha256 ").append(RunContent.cut(f.sha256(), 15)).append("\n"));
        CostEstimate e = job.estimate();
        if (e != null) {
            b.append(String.format(Locale.ROOT, "- estimate: %,d tokens, %.0f s on %s, %.4f GPU-h", e.tokens(),
                    e.wallSeconds(), e.device(), e.gpuHours()));
            if (e.price() != null) {
                b.append(String.format(Locale.ROOT, ", %.2f %s", e.price(), e.currency()));
            }
            b.append('\n');
        }
        b.append("\nCheckpoints stay in the training registry; this run's tags name their ids and blob store.");
        return b.toString();
    }

    /** @return the metrics an event carries, at its step and time; none for events without figures */
    static List<MlflowClient.Metric> metrics(JobEvent e) {
        List<MlflowClient.Metric> out = new ArrayList<>();
        long time = e.time().toEpochMilli();
        Object stepValue = e.data().get("step");
        long step = stepValue instanceof Number ? ((Number) stepValue).longValue() : 0;
        if (e.type().equals(JobEvent.TYPE_PROGRESS)) {
            e.data().forEach((k, v) -> {
                if (!NOT_METRICS.contains(k) && v instanceof Number) {
                    String name = k.startsWith("rewards_") ? "rewards/" + k.substring("rewards_".length()) : k;
                    out.add(new MlflowClient.Metric(key(name), ((Number) v).doubleValue(), time, step));
                }
            });
        } else if (e.type().equals(JobEvent.TYPE_EVAL) && e.data().get("metrics") instanceof Map<?, ?> m) {
            // the base model's figures are their own metrics, so that a chart of the fine-tune's starts at its first
            // evaluation and the gain reads off two lines
            String prefix = Boolean.TRUE.equals(e.data().get("baseline")) ? JobEvent.BASELINE_METRIC_PREFIX : "";
            m.forEach((k, v) -> {
                if (v instanceof Number) {
                    out.add(new MlflowClient.Metric(key(prefix + k), ((Number) v).doubleValue(), time, step));
                }
            });
        }
        return out;
    }

    /** @return the tags an event sets on the run (status, step count, attempts, failure cause) */
    static Map<String, String> eventTags(Job job, JobEvent e) {
        Map<String, String> t = new LinkedHashMap<>();
        switch (e.type()) {
            case JobEvent.TYPE_STATUS -> {
                Object to = e.data().get("to");
                if (to != null) {
                    t.put("training.status", String.valueOf(to));
                }
            }
            case JobEvent.TYPE_STARTED -> {
                if (e.data().get("total_steps") instanceof Number n) {
                    t.put("training.total_steps", Long.toString(n.longValue()));
                }
                if (e.data().get("world_size") instanceof Number n) {
                    t.put("training.world_size", Long.toString(n.longValue()));
                }
            }
            case JobEvent.TYPE_ERROR -> t.put("training.error_kind", String.valueOf(e.data().getOrDefault("kind",
                    "unknown")));
            case JobEvent.TYPE_NOTE -> {
                // "trainer started (attempt N ...)": the attempts, retries included
                if (e.data().get("attempt") instanceof Number n && e.data().containsKey("execution")) {
                    t.put("training.attempts", Long.toString(n.longValue()));
                }
            }
            default -> {
            }
        }
        return t;
    }

    /** @return MLflow's run status for a final job status */
    static String runStatus(JobStatus status) {
        return switch (status) {
            case SUCCEEDED -> "FINISHED";
            case CANCELLED -> "KILLED";
            case FAILED -> "FAILED";
            default -> "RUNNING";
        };
    }

    /**
     * Makes a key MLflow accepts: alphanumerics, {@code _ - . space : /}; no empty, {@code ..} or leading
     * {@code /} path parts; at most 250 characters.
     */
    static String key(String raw) {
        StringBuilder b = new StringBuilder(raw.length());
        for (char c : raw.toCharArray()) {
            b.append(Character.isLetterOrDigit(c) && c < 128 || "_-. :/".indexOf(c) >= 0 ? c : '_');
        }
        List<String> parts = new ArrayList<>();
        for (String p : b.toString().split("/")) {
            if (!p.isEmpty() && !p.equals(".") && !p.equals("..")) {
                parts.add(p);
            }
        }
        String k = parts.isEmpty() ? "_" : String.join("/", parts);
        return k.length() > MAX_KEY_LENGTH ? k.substring(0, MAX_KEY_LENGTH) : k;
    }

    static String cut(String value, int max) {
        return value.length() <= max ? value : value.substring(0, Math.max(0, max - 3)) + "...";
    }

    /** A dataset file's digest and line count. */
    record DatasetFacts(String sha256, long lines, long bytes) {
    }

    /** @return the facts of the job's datasets, by path (training first) */
    static Map<String, DatasetFacts> datasets(JobSpec spec) {
        Map<String, DatasetFacts> out = new LinkedHashMap<>();
        List<DatasetRef> refs = new ArrayList<>();
        refs.add(spec.trainingData());
        spec.validationData().ifPresent(refs::add);
        for (DatasetRef r : refs) {
            out.put(r.path(), facts(Path.of(r.path())));
        }
        return out;
    }

    private static DatasetFacts facts(Path file) {
        if (!Files.isRegularFile(file)) {
            return new DatasetFacts("missing", 0, 0);
        }
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            long lines = 0;
            long bytes = 0;
            int last = '\n';
            for (int n; (n = in.read(buf)) > 0;) {
                sha.update(buf, 0, n);
                bytes += n;
                for (int i = 0; i < n; i++) {
                    if (buf[i] == '\n') {
                        lines++;
                    }
                }
                last = buf[n - 1];
            }
            if (last != '\n') {
                lines++;
            }
            return new DatasetFacts(HexFormat.of().formatHex(sha.digest()), lines, bytes);
        } catch (IOException | NoSuchAlgorithmException e) {
            return new DatasetFacts("unreadable", 0, 0);
        }
    }
}
