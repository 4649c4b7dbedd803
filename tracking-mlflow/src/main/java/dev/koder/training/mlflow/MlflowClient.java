package dev.koder.training.mlflow;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * MLflow's REST API 2.0 over java.net.http: the calls the sink needs and nothing else. Each call is one request;
 * retrying is the caller's business ({@link MlflowException#retryable()} says which failures may be retried).
 * Every POST and every DELETE with a body is sent as {@code application/json}, as the server requires.
 */
final class MlflowClient {

    /** At most this many metrics in one log-batch (the server refuses more). */
    static final int MAX_METRICS = 1000;
    /** At most this many params in one log-batch. */
    static final int MAX_PARAMS = 100;
    /** At most this many tags in one log-batch. */
    static final int MAX_TAGS = 100;
    /** At most this many entries of all kinds in one log-batch. */
    static final int MAX_ENTRIES = 1000;

    static final JsonMapper JSON = JsonMapper.builder().build();

    private final MlflowSettings settings;
    private final HttpClient http;
    private final AtomicLong requests = new AtomicLong();

    MlflowClient(MlflowSettings settings) {
        this.settings = settings;
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(settings.timeout())
                .version(HttpClient.Version.HTTP_1_1);
        settings.sslContext().ifPresent(b::sslContext);
        this.http = b.build();
    }

    /** @return requests sent so far (every attempt counts) */
    long requests() {
        return requests.get();
    }

    /** A metric point. */
    record Metric(String key, double value, long timestamp, long step) {
    }

    // ---- experiments and runs

    Optional<String> experimentId(String name) {
        try {
            JsonNode r = get("/api/2.0/mlflow/experiments/get-by-name?experiment_name=" + encode(name));
            return Optional.of(r.path("experiment").path("experiment_id").asString());
        } catch (MlflowException e) {
            if (e.errorCode().equals("RESOURCE_DOES_NOT_EXIST")) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /**
     * Finds or creates an experiment. Two processes creating the same one at once both end with its id: the
     * loser's RESOURCE_ALREADY_EXISTS is answered by looking it up again.
     */
    String ensureExperiment(String name, Map<String, String> tags) {
        Optional<String> found = experimentId(name);
        if (found.isPresent()) {
            return found.get();
        }
        ObjectNode body = JSON.createObjectNode().put("name", name);
        body.set("tags", tags(tags));
        try {
            return post("/api/2.0/mlflow/experiments/create", body).path("experiment_id").asString();
        } catch (MlflowException e) {
            if (e.errorCode().equals("RESOURCE_ALREADY_EXISTS")) {
                return experimentId(name).orElseThrow(() -> e);
            }
            throw e;
        }
    }

    /** @return the id of the run carrying the tag, if one exists */
    Optional<JsonNode> findRun(String experimentId, String tagKey, String tagValue) {
        ObjectNode body = JSON.createObjectNode();
        body.putArray("experiment_ids").add(experimentId);
        body.put("filter", "tags.\"" + tagKey + "\" = '" + tagValue.replace("'", "\\'") + "'");
        body.put("max_results", 10);
        JsonNode runs = post("/api/2.0/mlflow/runs/search", body).path("runs");
        return runs.isArray() && !runs.isEmpty() ? Optional.of(runs.get(0)) : Optional.empty();
    }

    /** @return the new run (its {@code info} and {@code data}) */
    JsonNode createRun(String experimentId, String name, long startTime, Map<String, String> tags) {
        ObjectNode body = JSON.createObjectNode().put("experiment_id", experimentId).put("run_name", name)
                .put("start_time", startTime);
        body.set("tags", tags(tags));
        return post("/api/2.0/mlflow/runs/create", body).path("run");
    }

    /** @return the run, with its latest metrics, params and tags */
    JsonNode getRun(String runId) {
        return get("/api/2.0/mlflow/runs/get?run_id=" + encode(runId)).path("run");
    }

    void updateRun(String runId, String status, long endTime) {
        ObjectNode body = JSON.createObjectNode().put("run_id", runId).put("status", status);
        if (endTime > 0) {
            body.put("end_time", endTime);
        }
        post("/api/2.0/mlflow/runs/update", body);
    }

    /** One log-batch; the caller keeps within {@link #MAX_METRICS}, {@link #MAX_PARAMS}, {@link #MAX_TAGS}. */
    void logBatch(String runId, List<Metric> metrics, Map<String, String> params, Map<String, String> tags) {
        if (metrics.size() > MAX_METRICS || params.size() > MAX_PARAMS || tags.size() > MAX_TAGS
                || metrics.size() + params.size() + tags.size() > MAX_ENTRIES) {
            throw new IllegalArgumentException("a log-batch holds at most 1000 metrics, 100 params, 100 tags and "
                    + "1000 entries; got " + metrics.size() + ", " + params.size() + ", " + tags.size());
        }
        ObjectNode body = JSON.createObjectNode().put("run_id", runId);
        if (!metrics.isEmpty()) {
            ArrayNode m = body.putArray("metrics");
            for (Metric x : metrics) {
                ObjectNode n = m.addObject().put("key", x.key());
                if (Double.isFinite(x.value())) {
                    n.put("value", x.value());
                } else {
                    n.put("value", Double.isNaN(x.value()) ? "NaN" : x.value() > 0 ? "Infinity" : "-Infinity");
                }
                n.put("timestamp", x.timestamp()).put("step", x.step());
            }
        }
        if (!params.isEmpty()) {
            body.set("params", tags(params));
        }
        if (!tags.isEmpty()) {
            body.set("tags", tags(tags));
        }
        post("/api/2.0/mlflow/runs/log-batch", body);
    }

    /**
     * Uploads a file through the tracking server's artifact proxy.
     *
     * @param artifactUri the run's artifact URI, {@code mlflow-artifacts:/<path>}
     * @param path where under it
     * @param bytes the content
     */
    void uploadArtifact(String artifactUri, String path, byte[] bytes) {
        String prefix = "mlflow-artifacts:";
        if (!artifactUri.startsWith(prefix)) {
            throw new MlflowException(0, "UNSUPPORTED_ARTIFACT_STORE", "the run's artifacts live at " + artifactUri
                    + ", which is not served through the tracking server; start the server with "
                    + "--serve-artifacts (the default since MLflow 2.0)", false);
        }
        String base = artifactUri.substring(prefix.length()).replaceAll("^/+", "");
        StringBuilder p = new StringBuilder("/api/2.0/mlflow-artifacts/artifacts/");
        for (String part : (base + "/" + path).split("/")) {
            if (!part.isEmpty()) {
                p.append(URLEncoder.encode(part, StandardCharsets.UTF_8).replace("+", "%20")).append('/');
            }
        }
        p.setLength(p.length() - 1);
        send(request(p.toString()).PUT(HttpRequest.BodyPublishers.ofByteArray(bytes))
                .header("Content-Type", "application/octet-stream").build());
    }

    // ---- model registry

    void ensureRegisteredModel(String name, Map<String, String> tags) {
        ObjectNode body = JSON.createObjectNode().put("name", name);
        body.set("tags", tags(tags));
        try {
            post("/api/2.0/mlflow/registered-models/create", body);
        } catch (MlflowException e) {
            if (!e.errorCode().equals("RESOURCE_ALREADY_EXISTS")) {
                throw e;
            }
        }
    }

    /** @return every version of a registered model (name, version, tags, aliases as the search answers them) */
    List<JsonNode> modelVersions(String name) {
        List<JsonNode> out = new ArrayList<>();
        String token = null;
        do {
            JsonNode r = get("/api/2.0/mlflow/model-versions/search?filter=" + encode("name='" + name.replace("'",
                    "\\'") + "'") + "&max_results=200" + (token == null ? "" : "&page_token=" + encode(token)));
            r.path("model_versions").forEach(out::add);
            token = r.path("next_page_token").asString("");
        } while (!token.isEmpty());
        return out;
    }

    /** @return the new version's number */
    String createModelVersion(String name, String source, String runId, Map<String, String> tags, String description) {
        ObjectNode body = JSON.createObjectNode().put("name", name).put("source", source);
        if (runId != null) {
            body.put("run_id", runId);
        }
        body.set("tags", tags(tags));
        body.put("description", description);
        return post("/api/2.0/mlflow/model-versions/create", body).path("model_version").path("version").asString();
    }

    void setModelVersionTag(String name, String version, String key, String value) {
        post("/api/2.0/mlflow/model-versions/set-tag", JSON.createObjectNode().put("name", name)
                .put("version", version).put("key", key).put("value", value));
    }

    /** Sets a model version's description (MLflow's {@code model-versions/update}, a PATCH). */
    void describeModelVersion(String name, String version, String description) {
        ObjectNode body = JSON.createObjectNode().put("name", name).put("version", version)
                .put("description", description);
        send(request("/api/2.0/mlflow/model-versions/update").method("PATCH", json(body))
                .header("Content-Type", "application/json").build());
    }

    /**
     * The version an alias points at, read from the registered model's {@code aliases}: asking the alias endpoint
     * for one that is not set is answered with an error (400 INVALID_PARAMETER_VALUE), which the server logs.
     */
    Optional<String> alias(String name, String alias) {
        JsonNode model;
        try {
            model = get("/api/2.0/mlflow/registered-models/get?name=" + encode(name)).path("registered_model");
        } catch (MlflowException e) {
            if (e.errorCode().equals("RESOURCE_DOES_NOT_EXIST")) {
                return Optional.empty();
            }
            throw e;
        }
        for (JsonNode a : model.path("aliases")) {
            if (alias.equals(a.path("alias").asString())) {
                return Optional.of(a.path("version").asString());
            }
        }
        return Optional.empty();
    }

    void setAlias(String name, String alias, String version) {
        post("/api/2.0/mlflow/registered-models/alias", JSON.createObjectNode().put("name", name).put("alias", alias)
                .put("version", version));
    }

    /** Deletes an alias; the server takes the name and alias in a JSON body, not as query parameters. */
    void deleteAlias(String name, String alias) {
        ObjectNode body = JSON.createObjectNode().put("name", name).put("alias", alias);
        send(request("/api/2.0/mlflow/registered-models/alias").method("DELETE", json(body))
                .header("Content-Type", "application/json").build());
    }

    // ---- plumbing

    private static ArrayNode tags(Map<String, String> tags) {
        ArrayNode a = JSON.createArrayNode();
        tags.forEach((k, v) -> a.addObject().put("key", k).put("value", v));
        return a;
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static HttpRequest.BodyPublisher json(JsonNode body) {
        return HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body));
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(settings.uri() + path)).timeout(settings.timeout())
                .header("Accept", "application/json").header("User-Agent", "koder-training-mlflow");
        settings.authorization().ifPresent(a -> b.header("Authorization", a));
        return b;
    }

    private JsonNode get(String path) {
        return send(request(path).GET().build());
    }

    private JsonNode post(String path, JsonNode body) {
        return send(request(path).POST(json(body)).header("Content-Type", "application/json").build());
    }

    private JsonNode send(HttpRequest request) {
        requests.incrementAndGet();
        HttpResponse<byte[]> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (HttpTimeoutException e) {
            throw new MlflowException(0, "TIMEOUT", request.method() + " " + request.uri().getPath()
                    + " got no answer within " + settings.timeout().toMillis() + " ms", true);
        } catch (IOException e) {
            throw new MlflowException(0, "UNREACHABLE", "cannot reach MLflow at " + settings.uri() + ": " + e, true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MlflowException(0, "INTERRUPTED", "interrupted while talking to MLflow", true);
        }
        int status = response.statusCode();
        JsonNode body;
        try {
            body = response.body().length == 0 ? JSON.createObjectNode() : JSON.readTree(response.body());
        } catch (RuntimeException e) {
            body = JSON.createObjectNode().put("message", new String(response.body(), StandardCharsets.UTF_8));
        }
        if (status / 100 == 2) {
            return body;
        }
        String code = body.path("error_code").asString("HTTP_" + status);
        String message = body.path("message").asString("");
        if (status == 403 && message.isEmpty()) {
            message = "forbidden; if the server runs MLflow 3 with host checking, add this client's host ("
                    + request.uri().getHost() + ") to its --allowed-hosts";
        } else if (status == 401) {
            message = "unauthorized; set MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME and "
                    + "MLFLOW_TRACKING_PASSWORD" + (message.isEmpty() ? "" : " (" + message + ")");
        }
        boolean retryable = status == 429 || status >= 500;
        Duration retryAfter = response.headers().firstValue("Retry-After").flatMap(MlflowClient::seconds).orElse(null);
        throw new MlflowException(status, code, request.method() + " " + request.uri().getPath() + " answered "
                + status + " " + code + (message.isEmpty() ? "" : ": " + cut(message)), retryable, retryAfter);
    }

    private static Optional<Duration> seconds(String header) {
        try {
            return Optional.of(Duration.ofSeconds(Long.parseLong(header.trim())));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static String cut(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }

    /** @return a copy of the tags of a run or version as a map */
    static Map<String, String> tagsOf(JsonNode node) {
        Map<String, String> out = new LinkedHashMap<>();
        for (JsonNode t : node.path("tags")) {
            out.put(t.path("key").asString(), t.path("value").asString());
        }
        return out;
    }
}
