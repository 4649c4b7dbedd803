package dev.koder.training.mlflow;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * An in-process stand-in for an MLflow 3.6 tracking server (an MLflow server cannot be installed on these
 * machines), answering the way the real one did in the recorded exchanges of {@code mlflow-rest/transcript.json}
 * ({@link MlflowContractTest} replays them): the same status codes, error codes and shapes; POSTs only as
 * application/json; a Host header it does not trust gets 403; log-batch limits; immutable params; MLflow's key
 * rules; {@code metrics/get-history} without {@code max_results} answers nothing; an alias is deleted with a JSON
 * body; an unknown alias is 400 INVALID_PARAMETER_VALUE. Faults can be switched on to answer 503 or 429, or to
 * apply a request and then answer too late.
 *
 * <p>It also counts what a real server would hide: a metric point received twice (the real server drops exact
 * duplicates silently), so tests can prove a client never sends anything twice.
 */
public final class FakeMlflowServer implements AutoCloseable {

    static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Pattern KEY = Pattern.compile("^[/\\w.\\- :]*$");
    private static final Pattern VERSION_ALIAS = Pattern.compile("^[vV]\\d+$");

    /** What a fault does to a request. */
    public enum Fault {
        /** 503 Service Unavailable, nothing applied. */
        UNAVAILABLE,
        /** 429 Too Many Requests with Retry-After: 1, nothing applied. */
        TOO_MANY,
        /** The request is applied, then the answer waits {@link #hangMillis} (past the client's timeout). */
        HANG
    }

    private final HttpServer server;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fake-mlflow");
        t.setDaemon(true);
        return t;
    });
    private final Set<String> allowedHosts = new LinkedHashSet<>(List.of("localhost", "127.0.0.1"));
    private final Random random = new Random(7);
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong mutations = new AtomicLong();
    /** Lookups of an alias that is not set: the real server answers them with 400 and logs the error. */
    final AtomicLong aliasMisses = new AtomicLong();
    private volatile BiFunction<String, String, Fault> faults = (method, path) -> null;
    volatile long hangMillis = 3000;
    /** The server's maxParamLength: 6000 in MLflow 2.x and 3.x, 500 in older servers. */
    volatile int maxParamLength = 6000;

    // state, guarded by this
    private final Map<String, Experiment> experiments = new LinkedHashMap<>();
    private final Map<String, Run> runs = new LinkedHashMap<>();
    private final Map<String, Model> models = new LinkedHashMap<>();
    private final Map<String, byte[]> artifacts = new LinkedHashMap<>();
    private long duplicateMetrics;
    private long clock = 1_795_747_782_000L;

    static final class Experiment {
        String id;
        String name;
        Map<String, String> tags = new LinkedHashMap<>();
    }

    public static final class Metric {
        public final String key;
        public final double value;
        public final long timestamp;
        public final long step;

        Metric(String key, double value, long timestamp, long step) {
            this.key = key;
            this.value = value;
            this.timestamp = timestamp;
            this.step = step;
        }
    }

    public static final class Run {
        public String id;
        public String experimentId;
        public String name;
        public String status = "RUNNING";
        long startTime;
        Long endTime;
        public final Map<String, String> params = new LinkedHashMap<>();
        public final Map<String, String> tags = new LinkedHashMap<>();
        final List<Metric> metrics = new ArrayList<>();
        /** What identifies a point to the real server (key, timestamp, step, value): exact repeats are dropped. */
        final Set<String> points = new java.util.HashSet<>();
    }

    static final class Version {
        String version;
        String source;
        String runId;
        String description = "";
        long created;
        final Map<String, String> tags = new LinkedHashMap<>();
    }

    static final class Model {
        String name;
        long created;
        long updated;
        final Map<String, String> tags = new LinkedHashMap<>();
        final List<Version> versions = new ArrayList<>();
        final Map<String, String> aliases = new LinkedHashMap<>();
    }

    public FakeMlflowServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.createContext("/", this::handle);
        server.setExecutor(pool);
        server.start();
    }

    /** @return the server's URL on 127.0.0.1 */
    public String uri() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    int port() {
        return server.getAddress().getPort();
    }

    /** @param f which requests fail and how (method, path without query) -> fault or null */
    public void faults(BiFunction<String, String, Fault> f) {
        this.faults = f;
    }

    public void healthy() {
        this.faults = (m, p) -> null;
    }

    /** @param hosts the only Host header names it trusts (MLflow 3's --allowed-hosts) */
    void allowHosts(String... hosts) {
        allowedHosts.clear();
        allowedHosts.addAll(List.of(hosts));
    }

    public long requests() {
        return requests.get();
    }

    /** @return requests that could change something (POST, PUT, DELETE other than searches) */
    long mutations() {
        return mutations.get();
    }

    public synchronized long duplicateMetrics() {
        return duplicateMetrics;
    }

    public synchronized List<Run> runs() {
        return List.copyOf(runs.values());
    }

    public synchronized Optional<Run> runOfJob(String jobId) {
        return runs.values().stream().filter(r -> jobId.equals(r.tags.get("training.job_id"))).findFirst();
    }

    public synchronized List<Metric> metrics(String runId, String key) {
        return runs.get(runId).metrics.stream().filter(m -> m.key.equals(key)).toList();
    }

    synchronized Optional<Model> model(String name) {
        return Optional.ofNullable(models.get(name));
    }

    synchronized Map<String, byte[]> artifacts() {
        return Map.copyOf(artifacts);
    }

    synchronized Map<String, Experiment> experiments() {
        return Map.copyOf(experiments);
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }

    // ---- HTTP

    private static final class Answer extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int status;
        final transient JsonNode body;

        Answer(int status, String code, String message) {
            super(message, null, false, false);
            this.status = status;
            this.body = JSON.createObjectNode().put("error_code", code).put("message", message);
        }
    }

    private static Answer invalid(String message) {
        return new Answer(400, "INVALID_PARAMETER_VALUE", message);
    }

    private void handle(HttpExchange x) throws IOException {
        requests.incrementAndGet();
        try (x) {
            String host = Optional.ofNullable(x.getRequestHeaders().getFirst("Host")).orElse("");
            String hostName = host.replaceAll(":\\d+$", "");
            if (!allowedHosts.contains(hostName)) {
                byte[] b = "Invalid Host header - possible DNS rebinding attack detected".getBytes(StandardCharsets.UTF_8);
                x.sendResponseHeaders(403, b.length);
                x.getResponseBody().write(b);
                return;
            }
            String method = x.getRequestMethod();
            String path = x.getRequestURI().getRawPath();
            if (!method.equals("GET") && !path.endsWith("/search")) {
                mutations.incrementAndGet();
            }
            Fault fault = faults.apply(method, path);
            byte[] body;
            try (InputStream in = x.getRequestBody()) {
                body = in.readAllBytes();
            }
            if (fault == Fault.UNAVAILABLE) {
                send(x, 503, JSON.createObjectNode().put("error_code", "TEMPORARILY_UNAVAILABLE")
                        .put("message", "Service Unavailable"));
                return;
            }
            if (fault == Fault.TOO_MANY) {
                x.getResponseHeaders().add("Retry-After", "1");
                send(x, 429, JSON.createObjectNode().put("error_code", "REQUEST_LIMIT_EXCEEDED")
                        .put("message", "Too many requests"));
                return;
            }
            int status;
            JsonNode answer;
            try {
                answer = route(method, path, query(x.getRequestURI().getRawQuery()), body,
                        x.getRequestHeaders().getFirst("Content-Type"));
                status = 200;
            } catch (Answer a) {
                status = a.status;
                answer = a.body;
            }
            if (fault == Fault.HANG) {
                try {
                    Thread.sleep(hangMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            send(x, status, answer);
        } catch (IOException | RuntimeException e) {
            // the client went away (it timed out): nothing to answer
        }
    }

    private static void send(HttpExchange x, int status, JsonNode body) throws IOException {
        byte[] b = JSON.writeValueAsBytes(body);
        x.getResponseHeaders().add("Content-Type", "application/json");
        x.sendResponseHeaders(status, b.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(b);
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> q = new LinkedHashMap<>();
        if (raw == null) {
            return q;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            q.put(k, v);
        }
        return q;
    }

    private synchronized JsonNode route(String method, String path, Map<String, String> q, byte[] raw,
            String contentType) {
        clock += 7;
        String artifactsPrefix = "/api/2.0/mlflow-artifacts/artifacts";
        if (path.startsWith(artifactsPrefix)) {
            return artifacts(method, path.substring(artifactsPrefix.length()), q, raw);
        }
        JsonNode body = JSON.createObjectNode();
        if (method.equals("POST") || method.equals("PATCH") || method.equals("DELETE") && raw.length > 0) {
            if (contentType == null || !contentType.startsWith("application/json")) {
                throw invalid("Bad Request. Content-Type must be one of ['application/json'].");
            }
            try {
                body = raw.length == 0 ? JSON.createObjectNode() : JSON.readTree(raw);
            } catch (RuntimeException e) {
                throw new Answer(400, "BAD_REQUEST", "Malformed JSON");
            }
        }
        String route = method + " " + path.replaceFirst("^/api/2.0/mlflow", "");
        return switch (route) {
            case "GET /experiments/get-by-name" -> getExperiment(q.get("experiment_name"));
            case "POST /experiments/create" -> createExperiment(body);
            case "POST /runs/create" -> createRun(body);
            case "GET /runs/get" -> JSON.createObjectNode().set("run", runJson(run(q.get("run_id")), true));
            case "POST /runs/update" -> updateRun(body);
            case "POST /runs/search" -> searchRuns(body);
            case "POST /runs/log-batch" -> logBatch(body);
            case "POST /runs/log-metric" -> logMetric(body);
            case "GET /metrics/get-history" -> history(q);
            case "POST /registered-models/create" -> createModel(body);
            case "GET /registered-models/get" -> getModel(q.get("name"));
            case "POST /registered-models/alias" -> setAlias(body);
            case "GET /registered-models/alias" -> getAlias(q.get("name"), q.get("alias"));
            case "DELETE /registered-models/alias" -> deleteAlias(body);
            case "POST /model-versions/create" -> createVersion(body);
            case "POST /model-versions/set-tag" -> setVersionTag(body);
            case "PATCH /model-versions/update" -> updateVersion(body);
            case "GET /model-versions/search" -> searchVersions(q);
            default -> throw new Answer(404, "ENDPOINT_NOT_FOUND", "No API endpoint " + route);
        };
    }

    private static String required(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull() || v.asString().isEmpty()) {
            throw invalid("Missing value for required parameter '" + field + "'. See the API docs for more "
                    + "information about request parameters.");
        }
        return v.asString();
    }

    private static Map<String, String> tags(JsonNode list) {
        Map<String, String> out = new LinkedHashMap<>();
        for (JsonNode t : list) {
            out.put(t.path("key").asString(), t.path("value").asString());
        }
        return out;
    }

    private static ArrayNode tagList(Map<String, String> tags) {
        ArrayNode a = JSON.createArrayNode();
        tags.forEach((k, v) -> a.addObject().put("key", k).put("value", v));
        return a;
    }

    private String uuid() {
        byte[] b = new byte[16];
        random.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    // ---- experiments

    private JsonNode getExperiment(String name) {
        Experiment e = experiments.values().stream().filter(x -> x.name.equals(name)).findFirst()
                .orElseThrow(() -> new Answer(404, "RESOURCE_DOES_NOT_EXIST", "Could not find experiment with name '"
                        + name + "'"));
        ObjectNode n = JSON.createObjectNode();
        ObjectNode ex = n.putObject("experiment").put("experiment_id", e.id).put("name", e.name)
                .put("artifact_location", "mlflow-artifacts:/" + e.id).put("lifecycle_stage", "active")
                .put("last_update_time", clock).put("creation_time", clock);
        if (!e.tags.isEmpty()) {
            ex.set("tags", tagList(e.tags));
        }
        return n;
    }

    private JsonNode createExperiment(JsonNode body) {
        String name = required(body, "name");
        if (experiments.values().stream().anyMatch(x -> x.name.equals(name))) {
            throw new Answer(400, "RESOURCE_ALREADY_EXISTS", "Experiment(name=" + name + ") already exists.");
        }
        Experiment e = new Experiment();
        e.id = Integer.toString(experiments.size() + 1);
        e.name = name;
        e.tags.putAll(tags(body.path("tags")));
        experiments.put(e.id, e);
        return JSON.createObjectNode().put("experiment_id", e.id);
    }

    // ---- runs

    private Run run(String id) {
        Run r = runs.get(id);
        if (r == null) {
            throw new Answer(404, "RESOURCE_DOES_NOT_EXIST", "Run with id=" + id + " not found");
        }
        return r;
    }

    private JsonNode createRun(JsonNode body) {
        String experimentId = required(body, "experiment_id");
        if (!experiments.containsKey(experimentId)) {
            throw new Answer(404, "RESOURCE_DOES_NOT_EXIST", "No Experiment with id=" + experimentId + " exists");
        }
        Map<String, String> tags = tags(body.path("tags"));
        for (String k : tags.keySet()) {
            checkKey("tags", k);
        }
        Run r = new Run();
        r.id = uuid();
        r.experimentId = experimentId;
        r.name = body.path("run_name").asString("");
        r.startTime = body.path("start_time").asLong(clock);
        r.tags.putAll(tags);
        r.tags.put("mlflow.runName", r.name);
        runs.put(r.id, r);
        return JSON.createObjectNode().set("run", runJson(r, false));
    }

    private ObjectNode info(Run r) {
        ObjectNode i = JSON.createObjectNode().put("run_uuid", r.id).put("experiment_id", r.experimentId)
                .put("run_name", r.name).put("user_id", "").put("status", r.status).put("start_time", r.startTime);
        if (r.endTime != null) {
            i.put("end_time", r.endTime);
        }
        return i.put("artifact_uri", "mlflow-artifacts:/" + r.experimentId + "/" + r.id + "/artifacts")
                .put("lifecycle_stage", "active").put("run_id", r.id);
    }

    private ObjectNode runJson(Run r, boolean outputs) {
        ObjectNode n = JSON.createObjectNode();
        n.set("info", info(r));
        ObjectNode data = n.putObject("data");
        if (!r.metrics.isEmpty()) {
            Map<String, Metric> latest = new LinkedHashMap<>();
            for (Metric m : r.metrics) {
                latest.merge(m.key, m, (a, b) -> Comparator.<Metric>comparingLong(x -> x.step)
                        .thenComparingLong(x -> x.timestamp).compare(a, b) > 0 ? a : b);
            }
            ArrayNode ms = data.putArray("metrics");
            latest.values().forEach(m -> metricJson(ms.addObject(), m));
        }
        if (!r.params.isEmpty()) {
            data.set("params", tagList(r.params));
        }
        if (!r.tags.isEmpty()) {
            data.set("tags", tagList(r.tags));
        }
        n.putObject("inputs");
        if (outputs) {
            n.putObject("outputs");
        }
        return n;
    }

    private static void metricJson(ObjectNode n, Metric m) {
        n.put("key", m.key);
        if (Double.isNaN(m.value)) {
            n.put("value", "NaN");
        } else {
            n.put("value", m.value);
        }
        n.put("timestamp", m.timestamp).put("step", m.step);
    }

    private JsonNode updateRun(JsonNode body) {
        Run r = run(required(body, "run_id"));
        String status = body.path("status").asString("");
        if (Set.of("RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED").contains(status)) {
            r.status = status;
        }
        if (body.has("end_time")) {
            r.endTime = body.get("end_time").asLong();
        }
        return JSON.createObjectNode().set("run_info", info(r));
    }

    private static final Pattern TAG_FILTER = Pattern.compile("tags\\.[\"`]([^\"`]+)[\"`]\\s*=\\s*'((?:[^'\\\\]|\\\\.)*)'");

    private JsonNode searchRuns(JsonNode body) {
        Set<String> ids = new LinkedHashSet<>();
        body.path("experiment_ids").forEach(i -> ids.add(i.asString()));
        String filter = body.path("filter").asString("");
        Matcher m = TAG_FILTER.matcher(filter);
        String key = null;
        String value = null;
        if (m.find()) {
            key = m.group(1);
            value = m.group(2).replace("\\'", "'");
        } else if (!filter.isBlank()) {
            throw invalid("the fake understands only tags.\"k\" = 'v' filters, got " + filter);
        }
        ObjectNode out = JSON.createObjectNode();
        ArrayNode list = JSON.createArrayNode();
        for (Run r : runs.values()) {
            if (ids.contains(r.experimentId) && (key == null || value.equals(r.tags.get(key)))) {
                list.add(runJson(r, true));
            }
        }
        if (!list.isEmpty()) {
            out.set("runs", list);
        }
        return out;
    }

    private static void checkKey(String what, String key) {
        if (key == null || !KEY.matcher(key).matches()) {
            throw invalid("Invalid value \"" + key + "\" for parameter '" + what + "' supplied: Names may only "
                    + "contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and "
                    + "slashes (/).");
        }
        if (key.startsWith("/") || key.contains("//") || key.equals("..") || key.startsWith("../")
                || key.contains("/../") || key.endsWith("/..") || key.length() > 250) {
            throw invalid("Invalid value \"" + key + "\" for parameter '" + what + "' supplied: Names cannot be "
                    + "absolute paths, contain '..' path parts or be longer than 250 characters.");
        }
    }

    private JsonNode logBatch(JsonNode body) {
        Run r = run(required(body, "run_id"));
        JsonNode metrics = body.path("metrics");
        JsonNode params = body.path("params");
        JsonNode tags = body.path("tags");
        if (metrics.size() > 1000) {
            throw invalid("A batch logging request can contain at most 1000 metrics. Got " + metrics.size()
                    + " metrics. Please split up metrics across multiple requests and try again.");
        }
        if (params.size() > 100) {
            throw invalid("A batch logging request can contain at most 100 params. Got " + params.size()
                    + " params. Please split up params across multiple requests and try again.");
        }
        if (tags.size() > 100) {
            throw invalid("A batch logging request can contain at most 100 tags. Got " + tags.size()
                    + " tags. Please split up tags across multiple requests and try again.");
        }
        int total = metrics.size() + params.size() + tags.size();
        if (total > 1000) {
            throw invalid("A batch logging request can contain at most 1000 metrics, params, and tags in total. Got "
                    + total + ".");
        }
        List<Metric> newMetrics = new ArrayList<>();
        int i = 0;
        for (JsonNode m : metrics) {
            checkKey("metrics[" + i++ + "].name", m.path("key").asString(null));
            JsonNode v = m.path("value");
            double value = v.isString() ? Double.parseDouble(v.asString()) : v.asDouble();
            newMetrics.add(new Metric(m.path("key").asString(), value, m.path("timestamp").asLong(),
                    m.path("step").asLong(0)));
        }
        Map<String, String> newParams = tags(params);
        List<Map<String, String>> changed = new ArrayList<>();
        for (Map.Entry<String, String> p : newParams.entrySet()) {
            checkKey("params", p.getKey());
            if (p.getValue().length() > maxParamLength) {
                throw invalid("Param value '" + p.getValue().substring(0, 20) + "...' had length "
                        + p.getValue().length() + ", which exceeded length limit of " + maxParamLength);
            }
            String old = r.params.get(p.getKey());
            if (old != null && !old.equals(p.getValue())) {
                changed.add(Map.of("key", p.getKey(), "old_value", old, "new_value", p.getValue()));
            }
        }
        if (!changed.isEmpty()) {
            StringBuilder b = new StringBuilder();
            for (Map<String, String> c : changed) {
                b.append(b.length() == 0 ? "" : ", ").append("{'key': '").append(c.get("key")).append("', 'old_value': '")
                        .append(c.get("old_value")).append("', 'new_value': '").append(c.get("new_value")).append("'}");
            }
            throw invalid("Changing param values is not allowed. Params were already logged='[" + b + "]' for run ID='"
                    + r.id + "'.");
        }
        Map<String, String> newTags = tags(tags);
        for (String k : newTags.keySet()) {
            checkKey("tags", k);
        }
        for (Metric m : newMetrics) {
            if (r.points.add(m.key + "\u0000" + m.timestamp + "\u0000" + m.step + "\u0000"
                    + Double.doubleToLongBits(m.value))) {
                r.metrics.add(m);
            } else {
                duplicateMetrics++;
            }
        }
        r.params.putAll(newParams);
        r.tags.putAll(newTags);
        return JSON.createObjectNode();
    }

    private JsonNode logMetric(JsonNode body) {
        ObjectNode batch = JSON.createObjectNode().put("run_id", required(body, "run_id"));
        ObjectNode m = batch.putArray("metrics").addObject();
        m.put("key", body.path("key").asString()).set("value", body.path("value"));
        m.put("timestamp", body.path("timestamp").asLong()).put("step", body.path("step").asLong(0));
        return logBatch(batch);
    }

    private JsonNode history(Map<String, String> q) {
        Run r = run(q.get("run_id"));
        if (!q.containsKey("max_results")) {
            // MLflow 3.4-3.x answers nothing without max_results, with a token pointing back to the start.
            return JSON.createObjectNode().put("next_page_token", "eyJvZmZzZXQiOiAwfQ==");
        }
        ObjectNode out = JSON.createObjectNode();
        ArrayNode list = JSON.createArrayNode();
        r.metrics.stream().filter(m -> m.key.equals(q.get("metric_key"))).forEach(m -> metricJson(list.addObject(), m));
        if (!list.isEmpty()) {
            out.set("metrics", list);
        }
        return out;
    }

    // ---- artifacts

    private JsonNode artifacts(String method, String rest, Map<String, String> q, byte[] raw) {
        if (method.equals("PUT")) {
            String path = URLDecoder.decode(rest.replaceFirst("^/", ""), StandardCharsets.UTF_8);
            artifacts.put(path, raw);
            return JSON.createObjectNode();
        }
        String dir = q.getOrDefault("path", "");
        ObjectNode out = JSON.createObjectNode();
        ArrayNode files = JSON.createArrayNode();
        artifacts.forEach((p, b) -> {
            if (p.startsWith(dir + "/") && !p.substring(dir.length() + 1).contains("/")) {
                files.addObject().put("path", p.substring(dir.length() + 1)).put("is_dir", false)
                        .put("file_size", b.length);
            }
        });
        if (!files.isEmpty()) {
            out.set("files", files);
        }
        return out;
    }

    // ---- the model registry

    private Model model(JsonNode body) {
        String name = required(body, "name");
        Model m = models.get(name);
        if (m == null) {
            throw new Answer(404, "RESOURCE_DOES_NOT_EXIST", "Registered Model with name=" + name + " not found");
        }
        return m;
    }

    private JsonNode createModel(JsonNode body) {
        String name = required(body, "name");
        if (models.containsKey(name)) {
            throw new Answer(400, "RESOURCE_ALREADY_EXISTS", "Registered Model (name=" + name + ") already exists.");
        }
        Model m = new Model();
        m.name = name;
        m.created = clock;
        m.updated = clock;
        m.tags.putAll(tags(body.path("tags")));
        models.put(name, m);
        return JSON.createObjectNode().set("registered_model", modelJson(m));
    }

    private ObjectNode modelJson(Model m) {
        ObjectNode n = JSON.createObjectNode().put("name", m.name).put("creation_timestamp", m.created)
                .put("last_updated_timestamp", m.updated);
        if (!m.versions.isEmpty()) {
            n.putArray("latest_versions").add(versionJson(m, m.versions.get(m.versions.size() - 1), false));
        }
        if (!m.tags.isEmpty()) {
            n.set("tags", tagList(m.tags));
        }
        if (!m.aliases.isEmpty()) {
            ArrayNode a = n.putArray("aliases");
            m.aliases.forEach((alias, version) -> a.addObject().put("alias", alias).put("version", version));
        }
        return n;
    }

    private ObjectNode versionJson(Model m, Version v, boolean aliases) {
        ObjectNode n = JSON.createObjectNode().put("name", m.name).put("version", v.version)
                .put("creation_timestamp", v.created).put("last_updated_timestamp", v.created)
                .put("current_stage", "None").put("description", v.description).put("source", v.source);
        if (v.runId != null) {
            n.put("run_id", v.runId);
        }
        n.put("status", "READY");
        if (!v.tags.isEmpty()) {
            n.set("tags", tagList(v.tags));
        }
        n.put("run_link", "");
        if (aliases) {
            ArrayNode a = JSON.createArrayNode();
            m.aliases.forEach((alias, version) -> {
                if (version.equals(v.version)) {
                    a.add(alias);
                }
            });
            if (!a.isEmpty()) {
                n.set("aliases", a);
            }
        }
        return n;
    }

    private JsonNode getModel(String name) {
        return JSON.createObjectNode().set("registered_model", modelJson(model(JSON.createObjectNode().put("name",
                name))));
    }

    private Version version(Model m, String version) {
        return m.versions.stream().filter(v -> v.version.equals(version)).findFirst().orElseThrow(() -> new Answer(404,
                "RESOURCE_DOES_NOT_EXIST", "Model Version (name=" + m.name + ", version=" + version + ") not found"));
    }

    private JsonNode createVersion(JsonNode body) {
        Model m = model(body);
        Version v = new Version();
        v.version = Integer.toString(m.versions.size() + 1);
        v.source = required(body, "source");
        v.runId = body.hasNonNull("run_id") ? body.get("run_id").asString() : null;
        if (v.runId != null) {
            run(v.runId);
        }
        v.description = body.path("description").asString("");
        v.created = clock;
        v.tags.putAll(tags(body.path("tags")));
        m.versions.add(v);
        m.updated = clock;
        return JSON.createObjectNode().set("model_version", versionJson(m, v, false));
    }

    private JsonNode updateVersion(JsonNode body) {
        Model m = model(body);
        Version v = version(m, required(body, "version"));
        if (body.hasNonNull("description")) {
            v.description = body.get("description").asString();
        }
        return JSON.createObjectNode().set("model_version", versionJson(m, v, false));
    }

    private JsonNode setVersionTag(JsonNode body) {
        Model m = model(body);
        Version v = version(m, required(body, "version"));
        String key = required(body, "key");
        checkKey("key", key);
        v.tags.put(key, body.path("value").asString(""));
        return JSON.createObjectNode();
    }

    private static final Pattern NAME_FILTER = Pattern.compile("^name\\s*=\\s*'((?:[^'\\\\]|\\\\.)*)'$");

    private JsonNode searchVersions(Map<String, String> q) {
        Matcher f = NAME_FILTER.matcher(q.getOrDefault("filter", "").strip());
        if (!f.matches()) {
            throw invalid("the fake understands only name='...' filters");
        }
        Model m = models.get(f.group(1).replace("\\'", "'"));
        ObjectNode out = JSON.createObjectNode();
        if (m != null && !m.versions.isEmpty()) {
            ArrayNode list = out.putArray("model_versions");
            for (int i = m.versions.size() - 1; i >= 0; i--) {
                list.add(versionJson(m, m.versions.get(i), true));
            }
        }
        return out;
    }

    private JsonNode setAlias(JsonNode body) {
        Model m = model(body);
        String alias = required(body, "alias");
        if (VERSION_ALIAS.matcher(alias).matches()) {
            throw invalid("Version alias name '" + alias + "' is reserved.");
        }
        version(m, required(body, "version"));
        m.aliases.put(alias, body.get("version").asString());
        return JSON.createObjectNode();
    }

    private JsonNode getAlias(String name, String alias) {
        Model m = model(JSON.createObjectNode().put("name", name == null ? "" : name));
        String version = m.aliases.get(alias);
        if (version == null) {
            aliasMisses.incrementAndGet();
            throw invalid("Registered model alias " + alias + " not found.");
        }
        return JSON.createObjectNode().set("model_version", versionJson(m, version(m, version), true));
    }

    private JsonNode deleteAlias(JsonNode body) {
        Model m = model(body);
        m.aliases.remove(required(body, "alias"));
        return JSON.createObjectNode();
    }
}
