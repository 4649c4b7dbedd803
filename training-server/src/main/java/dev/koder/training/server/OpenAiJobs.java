package dev.koder.training.server;

import dev.koder.training.api.AdapterType;
import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.DpoConfig;
import dev.koder.training.api.Hyperparameters;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Objective;
import dev.koder.training.api.Resources;
import dev.koder.training.api.TrainingMethod;
import dev.koder.training.core.store.SqliteAccess.Principal;
import dev.koder.training.core.store.SqliteFiles;
import dev.koder.training.core.store.SqliteFiles.FileRecord;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * OpenAI's fine-tuning objects and requests, mapped onto jobs. A request becomes a {@link JobSpec}: the tenant
 * and tier come from the caller's key, the resources from the server's settings, supervised fine-tuning is LoRA
 * SFT and dpo is LoRA DPO; {@code n_epochs}, {@code batch_size} (the micro-batch is then chosen to fit), {@code
 * learning_rate_multiplier} (times the method's default rate) and {@code beta} may each be {@code "auto"}. Every rule
 * a spec must follow is checked by the spec itself, in core.
 */
final class OpenAiJobs {

    /** What a create request may hold. */
    static final Set<String> REQUEST_KEYS = Set.of("model", "training_file", "validation_file", "suffix", "seed",
            "metadata", "method", "hyperparameters", "integrations");

    private OpenAiJobs() {
    }

    /**
     * @param body the request
     * @param caller who asks
     * @param files the tenant's uploads
     * @param gpus GPUs a job gets on this server
     * @return the spec
     * @throws ApiError when the request is malformed or names a file the caller does not have
     */
    static JobSpec spec(JsonNode body, Principal caller, SqliteFiles files, int gpus) {
        if (body == null || !body.isObject()) {
            throw ApiError.badRequest(null, "the request body must be a JSON object");
        }
        for (String key : body.propertyNames()) {
            if (!REQUEST_KEYS.contains(key)) {
                throw ApiError.badRequest(key, "Unrecognized request argument supplied: " + key);
            }
        }
        String model = text(body, "model", true);
        FileRecord training = file(files, caller, text(body, "training_file", true), "training_file");
        String validationId = text(body, "validation_file", false);
        FileRecord validation = validationId == null ? null : file(files, caller, validationId, "validation_file");
        String suffix = text(body, "suffix", false);

        String type = "supervised";
        JsonNode hp = body.path("hyperparameters");
        String hpAt = "hyperparameters";
        JsonNode method = body.path("method");
        if (method.isObject()) {
            type = method.path("type").asString("supervised");
            if (!type.equals("supervised") && !type.equals("dpo")) {
                throw ApiError.badRequest("method.type", "method.type must be supervised or dpo, got '" + type + "'");
            }
            hp = method.path(type).path("hyperparameters");
            hpAt = "method." + type + ".hyperparameters";
        } else if (!method.isMissingNode() && !method.isNull()) {
            throw ApiError.badRequest("method", "method must be an object");
        }
        boolean dpo = type.equals("dpo");
        DatasetFormat wanted = dpo ? DatasetFormat.PREFERENCE : null;
        if (wanted != null && training.format() != wanted) {
            throw ApiError.badRequest("training_file", "dpo needs preference data (input, preferred_output, "
                    + "non_preferred_output); " + training.id() + " holds " + training.format().wireName() + " data");
        }
        if (!dpo && training.format() == DatasetFormat.PREFERENCE) {
            throw ApiError.badRequest("training_file", "supervised fine-tuning needs chat data; " + training.id()
                    + " holds preference data (use method.type dpo)");
        }

        TrainingMethod m = dpo ? TrainingMethod.dpo(AdapterType.LORA, new DpoConfig(number(hp, "beta", hpAt), null))
                : TrainingMethod.sftLora();
        Hyperparameters.Builder h = Hyperparameters.builder();
        Double epochs = number(hp, "n_epochs", hpAt);
        if (epochs != null) {
            h.epochs(epochs.intValue());
        }
        Double batch = number(hp, "batch_size", hpAt);
        if (batch != null) {
            h.batchSize(batch.intValue()).microBatchSizeAuto();
        }
        Double multiplier = number(hp, "learning_rate_multiplier", hpAt);
        if (multiplier != null) {
            h.learningRate(Hyperparameters.defaultLearningRate(m) * multiplier);
        }
        JsonNode seed = body.path("seed");
        if (!seed.isMissingNode() && !seed.isNull()) {
            if (!seed.canConvertToInt()) {
                throw ApiError.badRequest("seed", "seed must be an integer");
            }
            h.seed(seed.asInt());
        }
        JobSpec.Builder b = JobSpec.builder().name(suffix == null ? "ft" : suffix).tenant(caller.tenant())
                .tier(caller.tier()).baseModel(model).method(m).hyperparameters(h.build())
                .trainingData(DatasetRef.of(training.path(), training.format()))
                .resources(gpus == 0 ? Resources.cpu() : Resources.builder().gpus(gpus).build());
        if (validation != null) {
            b.validationData(DatasetRef.of(validation.path(), validation.format()));
        }
        JsonNode metadata = body.path("metadata");
        if (metadata.isObject()) {
            for (var e : metadata.properties()) {
                if (!e.getValue().isString()) {
                    throw ApiError.badRequest("metadata." + e.getKey(), "metadata values must be strings");
                }
                b.metadata(e.getKey(), e.getValue().asString());
            }
        } else if (!metadata.isMissingNode() && !metadata.isNull()) {
            throw ApiError.badRequest("metadata", "metadata must be an object of strings");
        }
        return b.build();
    }

    private static FileRecord file(SqliteFiles files, Principal caller, String id, String param) {
        return files.get(caller.tenant(), id).orElseThrow(() -> new ApiError(400, "invalid_request_error",
                "invalid_file", param, "No such file: " + id + " (upload it with purpose fine-tune first)"));
    }

    private static String text(JsonNode body, String key, boolean required) {
        JsonNode v = body.path(key);
        if (v.isMissingNode() || v.isNull()) {
            if (required) {
                throw ApiError.badRequest(key, "Missing required parameter: '" + key + "'");
            }
            return null;
        }
        if (!v.isString() || v.asString().isBlank()) {
            throw ApiError.badRequest(key, key + " must be a non-empty string");
        }
        return v.asString();
    }

    /** @return the value, or null for "auto" or absent */
    private static Double number(JsonNode hp, String key, String at) {
        JsonNode v = hp.path(key);
        if (v.isMissingNode() || v.isNull() || (v.isString() && v.asString().equals("auto"))) {
            return null;
        }
        if (!v.isNumber()) {
            throw ApiError.badRequest(at + "." + key, at + "." + key + " must be a number or \"auto\", got " + v);
        }
        return v.asDouble();
    }

    /** @return the job in OpenAI's fine_tuning.job shape */
    static Map<String, Object> job(Job j) {
        JobSpec s = j.spec();
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("object", "fine_tuning.job");
        o.put("id", j.id());
        o.put("model", s.baseModel());
        o.put("created_at", seconds(j.createdAt()));
        o.put("finished_at", seconds(j.finishedAt()));
        o.put("fine_tuned_model", j.status() == JobStatus.SUCCEEDED ? fineTunedModel(j, null) : null);
        o.put("organization_id", s.tenant());
        o.put("result_files", List.of());
        o.put("status", status(j.status()));
        o.put("validation_file", s.validationData().map(v -> fileId(v.path())).orElse(null));
        o.put("training_file", fileId(s.trainingData().path()));
        Map<String, Object> hp = hyperparameters(s);
        o.put("hyperparameters", hp);
        o.put("trained_tokens", j.progress().tokens());
        o.put("error", j.failure() == null ? null : Map.of("code", j.failure().cause().wireName(), "message",
                j.failure().message(), "param", ""));
        o.put("user_provided_suffix", "ft".equals(s.name()) ? null : s.name());
        o.put("seed", s.hyperparameters().seed());
        o.put("estimated_finish", estimatedFinish(j));
        o.put("integrations", List.of());
        o.put("metadata", s.metadata().isEmpty() ? null : s.metadata());
        boolean dpo = s.method().objective() == Objective.DPO;
        Map<String, Object> withHp = new LinkedHashMap<>();
        withHp.put("hyperparameters", hp);
        o.put("method", Map.of("type", dpo ? "dpo" : "supervised", dpo ? "dpo" : "supervised", withHp));
        return o;
    }

    private static Map<String, Object> hyperparameters(JobSpec s) {
        Hyperparameters h = s.hyperparameters();
        Map<String, Object> hp = new LinkedHashMap<>();
        hp.put("n_epochs", h.epochs() == null ? "auto" : h.epochs());
        hp.put("batch_size", h.batchSize());
        hp.put("learning_rate_multiplier", h.learningRate() / Hyperparameters.defaultLearningRate(s.method()));
        if (s.method().objective() == Objective.DPO) {
            hp.put("beta", s.method().dpo().beta());
        }
        return hp;
    }

    private static Long estimatedFinish(Job j) {
        if (j.status().isTerminal() || j.estimate() == null || j.startedAt() == null) {
            return null;
        }
        return seconds(j.startedAt().plusSeconds(Math.round(j.estimate().wallSeconds())));
    }

    /** @return OpenAI's status names: validating_files, queued, running, succeeded, failed, cancelled */
    static String status(JobStatus s) {
        return s == JobStatus.VALIDATING ? "validating_files" : s.wireName();
    }

    /** @return the model name OpenAI would give the result: ft:BASE:TENANT[:SUFFIX]:JOB[:ckpt-step-N] */
    static String fineTunedModel(Job j, Long step) {
        String suffix = "ft".equals(j.spec().name()) ? "" : ":" + j.spec().name();
        return "ft:" + j.spec().baseModel() + ":" + j.spec().tenant() + suffix + ":" + j.id()
                + (step == null ? "" : ":ckpt-step-" + step);
    }

    /** @return the upload id of a stored dataset path ({@code <home>/files/<id>.jsonl}), else the path */
    static String fileId(String path) {
        String name = Path.of(path).getFileName().toString();
        return name.startsWith("file-") && name.endsWith(".jsonl") ? name.substring(0, name.length() - 6) : path;
    }

    static Map<String, Object> event(Job j, JobEvent e) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("object", "fine_tuning.job.event");
        o.put("id", eventId(j.id(), e.seq()));
        o.put("created_at", seconds(e.time()));
        o.put("level", switch (e.level()) {
            case ERROR -> "error";
            case WARN -> "warn";
            default -> "info";
        });
        o.put("message", e.message());
        o.put("data", e.data());
        o.put("type", JobEvent.TYPE_PROGRESS.equals(e.type()) || JobEvent.TYPE_EVAL.equals(e.type()) ? "metrics"
                : "message");
        return o;
    }

    static String eventId(String jobId, long seq) {
        return "ftevent-" + jobId.substring("ftjob-".length()) + "-" + seq;
    }

    /** @return the sequence number in an event id of this job, or -1 when it is not one */
    static long eventSeq(String jobId, String eventId) {
        String prefix = "ftevent-" + jobId.substring("ftjob-".length()) + "-";
        if (eventId == null || !eventId.startsWith(prefix)) {
            return -1;
        }
        try {
            return Long.parseLong(eventId.substring(prefix.length()));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    static Map<String, Object> checkpoint(Job j, Checkpoint c) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("object", "fine_tuning.job.checkpoint");
        o.put("id", c.id());
        o.put("created_at", seconds(c.createdAt()));
        o.put("fine_tuned_model_checkpoint", fineTunedModel(j, c.step()));
        o.put("fine_tuning_job_id", j.id());
        Map<String, Object> metrics = new LinkedHashMap<>();
        metrics.put("step", c.step());
        c.metrics().forEach((k, v) -> metrics.put(k.equals("loss") ? "train_loss" : k, v));
        o.put("metrics", metrics);
        o.put("step_number", c.step());
        o.put("stage", c.stage().wireName());
        return o;
    }

    static Map<String, Object> file(FileRecord f) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("id", f.id());
        o.put("object", "file");
        o.put("bytes", f.bytes());
        o.put("created_at", seconds(f.createdAt()));
        o.put("filename", f.filename());
        o.put("purpose", f.purpose());
        o.put("status", "processed");
        o.put("status_details", null);
        o.put("format", f.format().wireName());
        o.put("examples", f.examples());
        o.put("sha256", f.sha256());
        return o;
    }

    /** @return OpenAI's list shape */
    static Map<String, Object> list(List<Map<String, Object>> data, boolean hasMore) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("object", "list");
        o.put("data", data);
        o.put("has_more", hasMore);
        if (!data.isEmpty()) {
            o.put("first_id", data.get(0).get("id"));
            o.put("last_id", data.get(data.size() - 1).get("id"));
        }
        return o;
    }

    static Long seconds(Instant t) {
        return t == null ? null : t.getEpochSecond();
    }

    static List<Map<String, Object>> mapAll(List<Map<String, Object>> in) {
        return new ArrayList<>(in);
    }
}
