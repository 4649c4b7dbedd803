package dev.koder.training.server;

import dev.koder.training.api.AdapterType;
import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.DpoConfig;
import dev.koder.training.api.Hyperparameters;
import dev.koder.training.api.InvalidSpecException;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Objective;
import dev.koder.training.api.Resources;
import dev.koder.training.api.StoredFile;
import dev.koder.training.api.TrainingMethod;
import dev.koder.training.api.Uploads;
import dev.koder.training.api.Violation;
import dev.koder.training.core.TenantView;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * OpenAI's fine-tuning objects and requests, mapped onto jobs. A request becomes a {@link JobSpec}: the tenant
 * and tier come from the caller's key, the resources from the server's settings, supervised fine-tuning is LoRA
 * SFT and dpo is LoRA DPO; {@code n_epochs}, {@code batch_size} (the micro-batch is then chosen to fit), {@code
 * learning_rate_multiplier} (times the method's default rate) and {@code beta} may each be {@code "auto"}. Every
 * field is checked as OpenAI documents it, and an error names the field as the client sent it.
 */
final class OpenAiJobs {

    /** What a create request may hold. */
    static final Set<String> REQUEST_KEYS = Set.of("model", "training_file", "validation_file", "suffix", "seed",
            "metadata", "method", "hyperparameters", "integrations");
    private static final Set<String> SUPERVISED_KEYS = Set.of("n_epochs", "batch_size", "learning_rate_multiplier");
    private static final Set<String> DPO_KEYS = Set.of("n_epochs", "batch_size", "learning_rate_multiplier", "beta");
    /** The OpenAI server's name for a job created without a suffix (an ft: name then has an empty suffix). */
    static final String NO_SUFFIX = "ft";

    private OpenAiJobs() {
    }

    /**
     * @param body the request
     * @param tenant the caller's scope (its uploads)
     * @param gpus GPUs a job gets on this server
     * @return the spec
     * @throws ApiError when the request is malformed or names a file the caller does not have
     */
    static JobSpec spec(JsonNode body, TenantView tenant, int gpus) {
        if (body == null || !body.isObject()) {
            throw ApiError.badRequest(null, "the request body must be a JSON object");
        }
        for (String key : body.propertyNames()) {
            if (!REQUEST_KEYS.contains(key)) {
                throw ApiError.badRequest(key, "Unrecognized request argument supplied: " + key);
            }
        }
        String model = text(body, "model", true, 400);
        StoredFile training = file(tenant, text(body, "training_file", true, 64), "training_file");
        String validationId = text(body, "validation_file", false, 64);
        StoredFile validation = validationId == null ? null : file(tenant, validationId, "validation_file");
        String suffix = text(body, "suffix", false, 64);
        integrations(body.path("integrations"));

        String type = "supervised";
        JsonNode hp = body.path("hyperparameters");
        String hpAt = "hyperparameters";
        JsonNode method = body.path("method");
        if (present(method)) {
            if (!method.isObject()) {
                throw ApiError.badRequest("method", "method must be an object");
            }
            JsonNode t = method.path("type");
            if (!t.isString()) {
                throw ApiError.badRequest("method.type", "Missing required parameter: 'method.type' (supervised or "
                        + "dpo)");
            }
            type = t.asString();
            if (type.equals("reinforcement")) {
                throw ApiError.badRequest("method.type", "method.type reinforcement is not supported by this server; "
                        + "use supervised or dpo");
            }
            if (type.equals("embedding") || type.equals("reranker")) {
                throw ApiError.badRequest("method.type", "method.type " + type + " is not part of the OpenAI "
                        + "fine-tuning API; submit embedding and reranker jobs as a whole job spec to POST "
                        + "/v1/native/jobs");
            }
            if (!type.equals("supervised") && !type.equals("dpo")) {
                throw ApiError.badRequest("method.type", "method.type must be supervised or dpo, got '" + type + "'");
            }
            for (String key : method.propertyNames()) {
                if (!key.equals("type") && !key.equals(type)) {
                    throw ApiError.badRequest("method." + key, "Unrecognized request argument supplied: method." + key
                            + (key.equals("supervised") || key.equals("dpo") ? " (method.type is " + type + ")" : ""));
                }
            }
            if (present(hp)) {
                throw ApiError.badRequest("hyperparameters", "hyperparameters is deprecated and cannot be given beside "
                        + "method; put them in method." + type + ".hyperparameters");
            }
            JsonNode inner = method.path(type);
            if (present(inner)) {
                if (!inner.isObject()) {
                    throw ApiError.badRequest("method." + type, "method." + type + " must be an object");
                }
                for (String key : inner.propertyNames()) {
                    if (!key.equals("hyperparameters")) {
                        throw ApiError.badRequest("method." + type + "." + key, "Unrecognized request argument "
                                + "supplied: method." + type + "." + key);
                    }
                }
            }
            hp = inner.path("hyperparameters");
            hpAt = "method." + type + ".hyperparameters";
        }
        if (present(hp) && !hp.isObject()) {
            throw ApiError.badRequest(hpAt, hpAt + " must be an object, got " + hp);
        }
        boolean dpo = type.equals("dpo");
        Set<String> allowed = dpo ? DPO_KEYS : SUPERVISED_KEYS;
        if (hp.isObject()) {
            for (String key : hp.propertyNames()) {
                if (!allowed.contains(key)) {
                    throw ApiError.badRequest(hpAt + "." + key, "Unrecognized request argument supplied: " + hpAt + "."
                            + key + (key.equals("beta") ? " (beta applies to dpo only)" : ""));
                }
            }
        }
        if (dpo && training.format() != DatasetFormat.PREFERENCE) {
            throw ApiError.badRequest("training_file", "dpo needs preference data (input, preferred_output, "
                    + "non_preferred_output); " + training.id() + " holds " + training.format().wireName() + " data");
        }
        if (training.format().encoder()) {
            throw ApiError.badRequest("training_file", "the OpenAI fine-tuning API trains chat models; "
                    + training.id() + " holds " + training.format().wireName() + " data, for an embedding or reranker "
                    + "job: submit it as a whole job spec to POST /v1/native/jobs");
        }
        if (!dpo && training.format() == DatasetFormat.PREFERENCE) {
            throw ApiError.badRequest("training_file", "supervised fine-tuning needs chat data; " + training.id()
                    + " holds preference data (use method.type dpo)");
        }

        Double beta = number(hp, "beta", hpAt, 0, 2);
        TrainingMethod m = dpo ? TrainingMethod.dpo(AdapterType.LORA, new DpoConfig(beta, null))
                : TrainingMethod.sftLora();
        Hyperparameters.Builder h = Hyperparameters.builder();
        Long epochs = integer(hp, "n_epochs", hpAt, 1, 50);
        if (epochs != null) {
            h.epochs(epochs.intValue());
        }
        Long batch = integer(hp, "batch_size", hpAt, 1, 256);
        if (batch != null) {
            h.batchSize(batch.intValue()).microBatchSizeAuto();
        }
        Double multiplier = number(hp, "learning_rate_multiplier", hpAt, 0, 10);
        if (multiplier != null) {
            h.learningRate(Hyperparameters.defaultLearningRate(m) * multiplier);
        }
        JsonNode seed = body.path("seed");
        if (present(seed)) {
            if (!seed.isIntegralNumber() || !seed.canConvertToInt() || seed.asInt() < 0) {
                throw ApiError.badRequest("seed", "seed must be an integer from 0 to 2147483647, got " + seed);
            }
            h.seed(seed.asInt());
        }
        JobSpec.Builder b = JobSpec.builder().name(suffix == null ? NO_SUFFIX : suffix).tenant(tenant.tenant())
                .tier(tenant.tier()).baseModel(model).method(m)
                .trainingData(DatasetRef.of(training.id(), training.format()))
                .resources(gpus == 0 ? Resources.cpu() : Resources.builder().gpus(gpus).build());
        if (validation != null) {
            b.validationData(DatasetRef.of(validation.id(), validation.format()));
        }
        metadata(body.path("metadata"), b);
        String at = hpAt;
        try {
            return b.hyperparameters(h.build()).build();
        } catch (InvalidSpecException e) {
            throw invalid(e, at);
        }
    }

    /** @return the spec error, naming the field of the OpenAI request that the first violation is about */
    static ApiError invalid(InvalidSpecException e, String hpAt) {
        List<Violation> v = e.violations();
        String param = v.isEmpty() ? null : clientField(v.get(0).pointer(), hpAt);
        StringBuilder message = new StringBuilder();
        for (Violation x : v) {
            message.append(message.length() == 0 ? "" : "; ").append(clientField(x.pointer(), hpAt) == null ? ""
                    : clientField(x.pointer(), hpAt) + ": ").append(x.message());
        }
        return ApiError.badRequest(param, message.length() == 0 ? e.getMessage() : message.toString());
    }

    private static String clientField(String pointer, String hpAt) {
        if (pointer == null || pointer.isEmpty()) {
            return null;
        }
        if (pointer.startsWith("/base_model")) {
            return "model";
        }
        if (pointer.startsWith("/training_data")) {
            return "training_file";
        }
        if (pointer.startsWith("/validation_data")) {
            return "validation_file";
        }
        if (pointer.startsWith("/name")) {
            return "suffix";
        }
        if (pointer.startsWith("/metadata")) {
            return "metadata" + pointer.substring("/metadata".length()).replace('/', '.');
        }
        if (pointer.equals("/hyperparameters/seed")) {
            return "seed";
        }
        if (pointer.startsWith("/hyperparameters/epochs")) {
            return hpAt + ".n_epochs";
        }
        if (pointer.startsWith("/hyperparameters/batch_size") || pointer.startsWith("/hyperparameters/micro_batch")) {
            return hpAt + ".batch_size";
        }
        if (pointer.startsWith("/hyperparameters/learning_rate")) {
            return hpAt + ".learning_rate_multiplier";
        }
        if (pointer.startsWith("/method/dpo/beta")) {
            return hpAt + ".beta";
        }
        return "model";
    }

    private static void integrations(JsonNode v) {
        if (!present(v)) {
            return;
        }
        if (!v.isArray()) {
            throw ApiError.badRequest("integrations", "integrations must be an array");
        }
        for (int i = 0; i < v.size(); i++) {
            JsonNode it = v.get(i);
            String type = it.isObject() ? it.path("type").asString(null) : null;
            if (type == null) {
                throw ApiError.badRequest("integrations[" + i + "].type", "each integration needs a type (wandb)");
            }
            throw ApiError.badRequest("integrations[" + i + "].type", "integration type '" + type + "' is not "
                    + "supported by this server; jobs are tracked in its MLflow when the operator configured one");
        }
    }

    private static void metadata(JsonNode metadata, JobSpec.Builder b) {
        if (!present(metadata)) {
            return;
        }
        if (!metadata.isObject()) {
            throw ApiError.badRequest("metadata", "metadata must be an object of strings");
        }
        if (metadata.size() > 16) {
            throw ApiError.badRequest("metadata", "metadata holds at most 16 pairs, got " + metadata.size());
        }
        for (var e : metadata.properties()) {
            if (e.getKey().length() > 64) {
                throw ApiError.badRequest("metadata", "metadata keys are at most 64 characters");
            }
            if (!e.getValue().isString()) {
                throw ApiError.badRequest("metadata." + e.getKey(), "metadata values must be strings");
            }
            if (e.getValue().asString().length() > 512) {
                throw ApiError.badRequest("metadata." + e.getKey(), "metadata values are at most 512 characters");
            }
            b.metadata(e.getKey(), e.getValue().asString());
        }
    }

    private static StoredFile file(TenantView tenant, String id, String param) {
        Optional<StoredFile> f = tenant.files().get(id);
        if (f.isPresent() && f.get().format() == null && !Uploads.RESULTS.equals(f.get().purpose())) {
            throw ApiError.badRequest(param, id + " is a file of a retrieval set (queries, corpus or judgements), "
                    + "not training data; a retrieval set is given with an embedding or reranker job on POST "
                    + "/v1/native/jobs");
        }
        return f.filter(x -> x.format() != null).orElseThrow(() -> new ApiError(400,
                "invalid_request_error", "invalid_file", param, "No such file: " + id + " (upload it with purpose "
                        + "fine-tune first)"));
    }

    private static boolean present(JsonNode v) {
        return !v.isMissingNode() && !v.isNull();
    }

    private static String text(JsonNode body, String key, boolean required, int maxLength) {
        JsonNode v = body.path(key);
        if (!present(v)) {
            if (required) {
                throw ApiError.badRequest(key, "Missing required parameter: '" + key + "'");
            }
            return null;
        }
        if (!v.isString() || v.asString().isBlank()) {
            throw ApiError.badRequest(key, key + " must be a non-empty string");
        }
        if (v.asString().length() > maxLength) {
            throw ApiError.badRequest(key, key + " must be at most " + maxLength + " characters");
        }
        return v.asString();
    }

    /** @return the value, or null for "auto" or absent */
    private static Long integer(JsonNode hp, String key, String at, long min, long max) {
        JsonNode v = hp.path(key);
        if (!present(v) || (v.isString() && v.asString().equals("auto"))) {
            return null;
        }
        boolean whole = v.isIntegralNumber() || (v.isFloatingPointNumber() && v.asDouble() == Math.rint(v.asDouble()));
        if (!v.isNumber() || !whole || v.asDouble() < min || v.asDouble() > max) {
            throw ApiError.badRequest(at + "." + key, at + "." + key + " must be \"auto\" or an integer from " + min
                    + " to " + max + ", got " + v);
        }
        return v.asLong();
    }

    /** @return the value, or null for "auto" or absent */
    private static Double number(JsonNode hp, String key, String at, double above, double max) {
        JsonNode v = hp.path(key);
        if (!present(v) || (v.isString() && v.asString().equals("auto"))) {
            return null;
        }
        if (!v.isNumber() || !(v.asDouble() > above) || v.asDouble() > max) {
            throw ApiError.badRequest(at + "." + key, at + "." + key + " must be \"auto\" or a number above " + above
                    + " and at most " + max + ", got " + v);
        }
        return v.asDouble();
    }

    /**
     * @param j the job
     * @param tenant its tenant's view (names models and files)
     * @param redactor takes server paths out of messages
     * @return the job in OpenAI's fine_tuning.job shape
     */
    static Map<String, Object> job(Job j, TenantView tenant, Redactor redactor) {
        JobSpec s = j.spec();
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("object", "fine_tuning.job");
        o.put("id", j.id());
        o.put("model", tenant.publicModel(s.baseModel()));
        o.put("created_at", seconds(j.createdAt()));
        o.put("finished_at", seconds(j.finishedAt()));
        boolean done = j.status() == JobStatus.SUCCEEDED;
        o.put("fine_tuned_model", done ? tenant.fineTunedModel(j) : null);
        o.put("organization_id", s.tenant());
        o.put("result_files", done ? tenant.files().results(j).map(f -> List.of(f.id()))
                .orElse(List.of()) : List.of());
        o.put("status", status(j));
        o.put("validation_file", s.validationData().map(v -> fileId(v.path())).orElse(null));
        o.put("training_file", fileId(s.trainingData().path()));
        Map<String, Object> hp = hyperparameters(s);
        o.put("hyperparameters", hp);
        o.put("trained_tokens", j.status().isTerminal() ? j.progress().tokens() : null);
        if (j.failure() == null) {
            o.put("error", null);
        } else {
            Map<String, Object> error = new LinkedHashMap<>();
            error.put("code", j.failure().cause().wireName());
            error.put("message", redactor.text(j.failure().message()));
            error.put("param", null);
            o.put("error", error);
        }
        o.put("user_provided_suffix", NO_SUFFIX.equals(s.name()) ? null : s.name());
        o.put("seed", s.hyperparameters().seed());
        o.put("estimated_finish", estimatedFinish(j));
        o.put("integrations", List.of());
        o.put("metadata", s.metadata().isEmpty() ? null : s.metadata());
        // An embedding or reranker job (submitted natively) shows its own objective as the method's type.
        String type = switch (s.method().objective()) {
            case DPO -> "dpo";
            case SFT -> "supervised";
            default -> s.method().objective().wireName();
        };
        Map<String, Object> withHp = new LinkedHashMap<>();
        withHp.put("hyperparameters", hp);
        o.put("method", Map.of("type", type, type, withHp));
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

    /** @return when the job should finish: from its start (or now, while queued) plus the estimated wall time */
    private static Long estimatedFinish(Job j) {
        if (j.status().isTerminal() || j.status() == JobStatus.PAUSED || j.estimate() == null) {
            return null;
        }
        Instant from = j.startedAt() != null ? j.startedAt() : Instant.now();
        return seconds(from.plusSeconds(Math.round(j.estimate().wallSeconds())));
    }

    /**
     * @return OpenAI's status names: validating_files, queued, running, pausing (running with a pause asked for),
     *     paused, succeeded, failed, cancelled
     */
    static String status(Job j) {
        if (j.status() == JobStatus.RUNNING && j.pauseRequested()) {
            return "pausing";
        }
        return j.status() == JobStatus.VALIDATING ? "validating_files" : j.status().wireName();
    }

    /** @return the upload id of a stored dataset path ({@code <home>/files/<id>.jsonl}), else its file name */
    static String fileId(String path) {
        String name = java.nio.file.Path.of(path).getFileName().toString();
        return name.endsWith(".jsonl") ? name.substring(0, name.length() - 6) : name;
    }

    static Map<String, Object> event(Job j, JobEvent e, Redactor redactor) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("object", "fine_tuning.job.event");
        o.put("id", eventId(j.id(), e.seq()));
        o.put("created_at", seconds(e.time()));
        o.put("level", switch (e.level()) {
            case ERROR -> "error";
            case WARN -> "warn";
            default -> "info";
        });
        o.put("message", redactor.text(e.message()));
        o.put("data", redactor.tree(e.data()));
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

    static Map<String, Object> checkpoint(Job j, Checkpoint c, TenantView tenant) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("object", "fine_tuning.job.checkpoint");
        o.put("id", c.id());
        o.put("created_at", seconds(c.createdAt()));
        o.put("fine_tuned_model_checkpoint", tenant.checkpointModel(j, c.step()));
        o.put("fine_tuning_job_id", j.id());
        Map<String, Object> metrics = new LinkedHashMap<>();
        metrics.put("step", (double) c.step());
        c.metrics().forEach((k, v) -> metrics.put(k.equals("loss") ? "train_loss" : k, v));
        o.put("metrics", metrics);
        o.put("step_number", c.step());
        o.put("stage", c.stage().wireName());
        return o;
    }

    static Map<String, Object> file(StoredFile f) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("id", f.id());
        o.put("object", "file");
        o.put("bytes", f.bytes());
        o.put("created_at", seconds(f.createdAt()));
        o.put("filename", f.filename());
        o.put("purpose", f.purpose());
        o.put("status", "processed");
        // what the upload's check found (OpenAI leaves it null; it is where a client looks for why)
        boolean results = Uploads.RESULTS.equals(f.purpose());
        o.put("status_details", results ? "results of a job: " + f.examples() + " rows"
                : f.format() == null ? "every line valid: " + f.examples() + " entries of a retrieval set (queries, "
                        + "corpus or judgements)"
                : "every example valid: " + f.examples() + " examples in the " + f.format().wireName() + " format");
        o.put("format", results ? "csv" : f.format() == null ? "retrieval" : f.format().wireName());
        o.put("examples", f.examples());
        o.put("sha256", f.sha256());
        return o;
    }

    /** @return OpenAI's list shape, with first_id and last_id (null when empty) */
    static Map<String, Object> list(List<Map<String, Object>> data, boolean hasMore) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("object", "list");
        o.put("data", data);
        o.put("has_more", hasMore);
        o.put("first_id", data.isEmpty() ? null : data.get(0).get("id"));
        o.put("last_id", data.isEmpty() ? null : data.get(data.size() - 1).get("id"));
        return o;
    }

    static Long seconds(Instant t) {
        return t == null ? null : t.getEpochSecond();
    }
}
