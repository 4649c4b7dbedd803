package dev.koder.training.server;

import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.CheckpointNotFoundException;
import dev.koder.training.api.CheckpointQuery;
import dev.koder.training.api.IllegalCheckpointStateException;
import dev.koder.training.api.IllegalJobStateException;
import dev.koder.training.api.InvalidSpecException;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobNotFoundException;
import dev.koder.training.api.JobQuery;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.Page;
import dev.koder.training.api.QuotaExceededException;
import dev.koder.training.api.Violation;
import dev.koder.training.core.Training;
import dev.koder.training.core.internal.Json;
import dev.koder.training.core.spec.JobSpecJson;
import dev.koder.training.core.store.SqliteAccess;
import dev.koder.training.core.store.SqliteAccess.Principal;
import dev.koder.training.core.store.SqliteAccess.Role;
import dev.koder.training.core.store.SqliteFiles;
import dev.koder.training.core.store.SqliteFiles.FileRecord;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.config.SizeUnit;
import io.javalin.http.Context;
import io.javalin.http.UploadedFile;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * The reference server: the OpenAI-compatible fine-tuning API and native endpoints over a {@link Training}, on
 * Javalin. It holds no rule of its own: specs, validation, scheduling, quotas and the registry are core's; this
 * class authenticates a request to a tenant, maps it, and maps the answer or the error back.
 *
 * <pre>{@code
 * try (Training training = Training.builder().home(home).build();
 *         TrainingServer server = TrainingServer.builder(training).port(8080).start()) {
 *     server.awaitStop();
 * }
 * }</pre>
 *
 * <p>Every {@code /v1} request needs {@code Authorization: Bearer <key>} ({@code training keys create}); it sees
 * only its key's tenant: another tenant's job, file, event or checkpoint is a 404. {@code /healthz}, {@code
 * /readyz} and {@code /metrics} need no key.
 */
public final class TrainingServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TrainingServer.class);
    private static final Logger ACCESS = LoggerFactory.getLogger("dev.koder.training.server.access");
    static final String PRINCIPAL = "principal";

    private final Training training;
    private final SqliteAccess access;
    private final SqliteFiles files;
    private final Settings settings;
    private final ServerMetrics metrics;
    private final Javalin app;
    /** Keys seen lately, so a request costs no database read to authenticate; a revocation counts within 10 s. */
    private final com.github.benmanes.caffeine.cache.Cache<String, java.util.Optional<Principal>> keys =
            com.github.benmanes.caffeine.cache.Caffeine.newBuilder().expireAfterWrite(Duration.ofSeconds(10))
                    .maximumSize(10_000).build();

    /**
     * The server's settings.
     *
     * @param host the address to listen on
     * @param port the port (0: any free one)
     * @param gpusPerJob GPUs an OpenAI-style job gets
     * @param maxUploadBytes the largest file upload
     * @param maxBodyBytes the largest request body other than uploads
     * @param idleTimeout how long a connection may stay silent (a slow client is cut off after it)
     */
    record Settings(String host, int port, int gpusPerJob, long maxUploadBytes, long maxBodyBytes,
            Duration idleTimeout) {
    }

    private TrainingServer(Training training, Settings settings) {
        this.training = training;
        this.settings = settings;
        this.access = SqliteAccess.open(training.home());
        this.files = SqliteFiles.open(training.home());
        this.metrics = new ServerMetrics(training);
        this.app = Javalin.create(this::configure);
    }

    /** @param training the service to serve @return a builder */
    public static Builder builder(Training training) {
        return new Builder(training);
    }

    private void configure(JavalinConfig config) {
        config.jetty.host = settings.host();
        config.jetty.port = settings.port();
        config.http.maxRequestSize = settings.maxBodyBytes();
        config.jetty.multipartConfig.maxFileSize(settings.maxUploadBytes() + 64 * 1024, SizeUnit.BYTES);
        config.jetty.multipartConfig.maxTotalRequestSize(settings.maxUploadBytes() + 64 * 1024, SizeUnit.BYTES);
        config.jetty.multipartConfig.maxInMemoryFileSize(1, SizeUnit.MB);
        config.jetty.multipartConfig.cacheDirectory(training.home().resolve("files").toString());
        config.jetty.modifyHttpConfiguration(http -> http.setIdleTimeout(settings.idleTimeout().toMillis()));
        config.startup.showJavalinBanner = false;
        config.requestLogger.http(this::logAccess);
        var r = config.routes;
        r.get("/", ctx -> ctx.contentType("text/html; charset=utf-8").result(DASHBOARD));
        r.get("/healthz", ctx -> json(ctx, Map.of("status", "ok")));
        r.get("/readyz", this::ready);
        r.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4").result(metrics.scrape()));
        r.before("/v1/*", this::authenticate);

        r.post("/v1/files", this::upload);
        r.get("/v1/files", this::listFiles);
        r.get("/v1/files/{id}", ctx -> json(ctx, OpenAiJobs.file(file(ctx))));
        r.delete("/v1/files/{id}", this::deleteFile);

        r.post("/v1/fine_tuning/jobs", this::createJob);
        r.get("/v1/fine_tuning/jobs", this::listJobs);
        r.get("/v1/fine_tuning/jobs/{id}", ctx -> json(ctx, OpenAiJobs.job(job(ctx))));
        r.post("/v1/fine_tuning/jobs/{id}/cancel", this::cancelJob);
        r.get("/v1/fine_tuning/jobs/{id}/events", this::events);
        r.get("/v1/fine_tuning/jobs/{id}/checkpoints", this::checkpoints);

        r.post("/v1/native/jobs", this::submitSpec);
        r.post("/v1/native/estimate", ctx -> json(ctx, training.estimate(nativeSpec(ctx))));
        r.get("/v1/native/jobs/{id}", ctx -> json(ctx, job(ctx)));
        r.get("/v1/native/jobs", ctx -> json(ctx, training.jobs().list(JobQuery.builder()
                .tenant(principal(ctx).tenant()).after(ctx.queryParam("after")).limit(limit(ctx, 50, 1000)).build())));
        r.get("/v1/native/me", ctx -> {
            Principal p = principal(ctx);
            json(ctx, Map.of("tenant", p.tenant(), "tier", p.tier().wireName(), "role", p.role().wireName(),
                    "name", p.name(), "key_id", p.keyId()));
        });
        r.get("/v1/native/quota", ctx -> json(ctx, training.quotas().usage(principal(ctx).tenant(),
                java.time.Instant.now())));
        r.get("/v1/native/pool", ctx -> json(ctx, training.gpuPool()));
        r.get("/v1/native/checkpoints", this::listRegistry);
        r.get("/v1/native/checkpoints/{id}", ctx -> json(ctx, registryCheckpoint(ctx)));
        r.get("/v1/native/checkpoints/{id}/files", ctx -> {
            Checkpoint c = registryCheckpoint(ctx);
            json(ctx, Map.of("id", c.id(), "files", c.files()));
        });
        r.get("/v1/native/checkpoints/{id}/files/<path>", this::downloadFile);
        r.post("/v1/native/checkpoints/{id}/approve", ctx -> transition(ctx, true));
        r.post("/v1/native/checkpoints/{id}/deprecate", ctx -> transition(ctx, false));

        r.exception(ApiError.class, (e, ctx) -> error(ctx, e));
        r.exception(JobNotFoundException.class, (e, ctx) -> error(ctx, ApiError.notFound("id", e.getMessage())));
        r.exception(CheckpointNotFoundException.class, (e, ctx) -> error(ctx, ApiError.notFound("id", e.getMessage())));
        r.exception(InvalidSpecException.class, (e, ctx) -> error(ctx, invalid(e)));
        r.exception(QuotaExceededException.class, (e, ctx) -> error(ctx, new ApiError(429, "insufficient_quota",
                "quota_exceeded", null, e.getMessage())));
        r.exception(IllegalJobStateException.class, (e, ctx) -> error(ctx, new ApiError(409, "invalid_request_error",
                "invalid_state", null, e.getMessage())));
        r.exception(IllegalCheckpointStateException.class, (e, ctx) -> error(ctx, new ApiError(409,
                "invalid_request_error", "invalid_state", null, e.getMessage())));
        r.exception(SqliteFiles.RejectedFile.class, (e, ctx) -> error(ctx, new ApiError(e.tooLarge() ? 413 : 400,
                "invalid_request_error", e.tooLarge() ? "file_too_large" : "invalid_file", e.param(), e.getMessage())));
        r.exception(io.javalin.http.HttpResponseException.class, (e, ctx) -> error(ctx, e.getStatus() == 404
                ? ApiError.notFound(null, "Unknown request URL: " + ctx.method() + " " + ctx.path())
                : new ApiError(e.getStatus(), "invalid_request_error", null, null, e.getMessage())));
        r.exception(Exception.class, (e, ctx) -> {
            LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
            error(ctx, new ApiError(500, "server_error", null, null, "The server had an error while processing "
                    + "your request: " + e.getClass().getSimpleName()));
        });
        r.error(404, "*", ctx -> {
            if (ctx.attribute("error") == null) {
                error(ctx, ApiError.notFound(null, "Unknown request URL: " + ctx.method() + " " + ctx.path()));
            }
        });
    }

    /** @return this server, listening */
    TrainingServer startServer() {
        app.start();
        // A client that stalls mid-request is cut off after the idle timeout (connectors exist once started).
        for (var connector : app.jettyServer().server().getConnectors()) {
            if (connector instanceof org.eclipse.jetty.server.AbstractConnector c) {
                c.setIdleTimeout(settings.idleTimeout().toMillis());
            }
        }
        LOG.info("training server listening on http://{}:{} (home {})", settings.host(), port(), training.home());
        return this;
    }

    /** @return the port it listens on */
    public int port() {
        return app.port();
    }

    /** Blocks until the server stops (close, or the JVM shuts down). */
    public void awaitStop() throws InterruptedException {
        Object lock = new Object();
        synchronized (lock) {
            while (app.jettyServer().server().isRunning()) {
                lock.wait(500);
            }
        }
    }

    @Override
    public void close() {
        app.stop();
        metrics.close();
        files.close();
        access.close();
    }

    // ---- requests

    private void ready(Context ctx) {
        try {
            training.jobs().list(JobQuery.builder().limit(1).build());
            json(ctx, Map.of("status", "ready", "runs_jobs", training.runsJobs()));
        } catch (RuntimeException e) {
            ctx.status(503);
            json(ctx, Map.of("status", "not ready", "reason", String.valueOf(e.getMessage())));
        }
    }

    private void authenticate(Context ctx) {
        String header = ctx.header("Authorization");
        if (header == null || !header.startsWith("Bearer ") || header.length() <= 7) {
            throw ApiError.unauthorized("You didn't provide an API key. Send it in an Authorization header: "
                    + "Authorization: Bearer YOUR_KEY (make one with ./training keys create).");
        }
        Principal p = keys.get(header.substring(7).trim(), access::authenticate).orElseThrow(() -> ApiError
                .unauthorized("Incorrect API key provided. Keys come from ./training keys create on this server's "
                        + "home."));
        ctx.attribute(PRINCIPAL, p);
    }

    static Principal principal(Context ctx) {
        return Objects.requireNonNull(ctx.attribute(PRINCIPAL));
    }

    private void upload(Context ctx) {
        Principal p = principal(ctx);
        UploadedFile f;
        String purpose;
        try {
            f = ctx.uploadedFile("file");
            purpose = ctx.formParam("purpose");
        } catch (Exception e) {
            throw uploadError(e);
        }
        if (f == null) {
            throw ApiError.badRequest("file", "Missing required parameter: 'file' (a multipart part with the JSONL "
                    + "file)");
        }
        if (purpose == null) {
            throw ApiError.badRequest("purpose", "Missing required parameter: 'purpose' (fine-tune)");
        }
        try (InputStream in = f.content()) {
            FileRecord r = files.put(p.tenant(), f.filename(), purpose, in, settings.maxUploadBytes());
            json(ctx, OpenAiJobs.file(r));
        } catch (java.io.IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return the error for a multipart body the parser refused: too large (413), or malformed (400) */
    private ApiError uploadError(Exception e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (String.valueOf(t.getMessage()).contains("max length exceeded")) {
                return new ApiError(413, "invalid_request_error", "file_too_large", "file", "the file is larger than "
                        + "the " + settings.maxUploadBytes() + " bytes this server accepts");
            }
        }
        return ApiError.badRequest("file", "the upload is not a readable multipart/form-data body: " + e.getMessage());
    }

    private void listFiles(Context ctx) {
        int limit = limit(ctx, 10_000, 10_000);
        Page<FileRecord> page = files.list(principal(ctx).tenant(), ctx.queryParam("after"), limit);
        json(ctx, OpenAiJobs.list(page.items().stream().map(OpenAiJobs::file).toList(), page.nextCursor() != null));
    }

    private FileRecord file(Context ctx) {
        String id = ctx.pathParam("id");
        return files.get(principal(ctx).tenant(), id).orElseThrow(() -> ApiError.notFound("file_id",
                "No such File object: " + id));
    }

    private void deleteFile(Context ctx) {
        FileRecord f = file(ctx);
        files.delete(principal(ctx).tenant(), f.id());
        json(ctx, Map.of("id", f.id(), "object", "file", "deleted", true));
    }

    private void createJob(Context ctx) {
        Principal p = principal(ctx);
        JobSpec spec = OpenAiJobs.spec(body(ctx), p, files, settings.gpusPerJob());
        Job job = training.jobs().submit(spec);
        json(ctx, OpenAiJobs.job(job));
    }

    private void listJobs(Context ctx) {
        Principal p = principal(ctx);
        int limit = limit(ctx, 20, 100);
        Map<String, String> metadata = new LinkedHashMap<>();
        ctx.queryParamMap().forEach((k, v) -> {
            if (k.startsWith("metadata[") && k.endsWith("]") && !v.isEmpty()) {
                metadata.put(k.substring(9, k.length() - 1), v.get(0));
            }
        });
        List<Map<String, Object>> out = new ArrayList<>();
        String after = ctx.queryParam("after");
        boolean more;
        int pageSize = metadata.isEmpty() ? limit + 1 : 100;
        do {
            Page<Job> page = training.jobs().list(JobQuery.builder().tenant(p.tenant()).after(after).limit(pageSize)
                    .build());
            for (Job j : page.items()) {
                if (j.spec().metadata().entrySet().containsAll(metadata.entrySet())) {
                    out.add(OpenAiJobs.job(j));
                }
            }
            after = page.nextCursor();
            more = after != null;
        } while (more && out.size() <= limit);
        boolean hasMore = out.size() > limit || more;
        json(ctx, OpenAiJobs.list(out.size() > limit ? out.subList(0, limit) : out, hasMore));
    }

    private Job job(Context ctx) {
        String id = ctx.pathParam("id");
        try {
            Job j = training.jobs().get(id);
            if (j.spec().tenant().equals(principal(ctx).tenant())) {
                return j;
            }
        } catch (JobNotFoundException e) {
            // the same answer as another tenant's job
        }
        throw ApiError.notFound("fine_tuning_job_id", "No fine-tuning job found with id " + id);
    }

    private void cancelJob(Context ctx) {
        Job j = job(ctx);
        json(ctx, OpenAiJobs.job(training.jobs().cancel(j.id())));
    }

    private void events(Context ctx) {
        Job j = job(ctx);
        int limit = limit(ctx, 20, 1000);
        String after = ctx.queryParam("after");
        long before = Long.MAX_VALUE;
        if (after != null) {
            before = OpenAiJobs.eventSeq(j.id(), after);
            if (before < 0) {
                throw ApiError.badRequest("after", "after must be an event id of this job, got '" + after + "'");
            }
        }
        // Newest first, as OpenAI lists them: read forward, keep the last limit + 1 before the cursor.
        java.util.ArrayDeque<JobEvent> window = new java.util.ArrayDeque<>();
        long from = 0;
        Page<JobEvent> page;
        do {
            page = training.jobs().events(j.id(), from, 1000);
            for (JobEvent e : page.items()) {
                if (e.seq() >= before) {
                    break;
                }
                window.addLast(e);
                if (window.size() > limit + 1) {
                    window.removeFirst();
                }
                from = e.seq();
            }
        } while (page.nextCursor() != null && from < before - 1 && !page.items().isEmpty());
        List<JobEvent> newestFirst = new ArrayList<>(window);
        java.util.Collections.reverse(newestFirst);
        boolean hasMore = newestFirst.size() > limit;
        List<Map<String, Object>> data = newestFirst.stream().limit(limit).map(e -> OpenAiJobs.event(j, e)).toList();
        json(ctx, OpenAiJobs.list(data, hasMore));
    }

    private void checkpoints(Context ctx) {
        Job j = job(ctx);
        int limit = limit(ctx, 10, 100);
        Page<Checkpoint> page = training.checkpoints().list(CheckpointQuery.builder().tenant(j.spec().tenant())
                .jobId(j.id()).after(ctx.queryParam("after")).limit(limit).build());
        json(ctx, OpenAiJobs.list(page.items().stream().map(c -> OpenAiJobs.checkpoint(j, c)).toList(),
                page.nextCursor() != null));
    }

    private JobSpec nativeSpec(Context ctx) {
        Principal p = principal(ctx);
        JobSpec spec;
        try {
            spec = JobSpecJson.parse(ctx.body());
        } catch (InvalidSpecException e) {
            throw invalid(e);
        }
        // The tenant and tier are the key's; dataset paths must be this tenant's uploads (file ids).
        JobSpec.Builder b = spec.toBuilder().tenant(p.tenant()).tier(p.tier())
                .trainingData(upload(p, spec.trainingData(), "/training_data/path"));
        spec.validationData().ifPresent(v -> b.validationData(upload(p, v, "/validation_data/path")));
        return b.build();
    }

    private dev.koder.training.api.DatasetRef upload(Principal p, dev.koder.training.api.DatasetRef ref, String at) {
        String id = Path.of(ref.path()).getFileName().toString();
        FileRecord f = files.get(p.tenant(), id).orElseThrow(() -> ApiError.badRequest(at, at + " must be the id "
                + "of one of your uploaded files (POST /v1/files), got '" + id + "'"));
        return dev.koder.training.api.DatasetRef.of(f.path(), ref.format());
    }

    private void submitSpec(Context ctx) {
        json(ctx, training.jobs().submit(nativeSpec(ctx)));
    }

    private void listRegistry(Context ctx) {
        Principal p = principal(ctx);
        CheckpointQuery.Builder q = CheckpointQuery.builder().tenant(p.tenant()).baseModel(ctx.queryParam("base_model"))
                .jobId(ctx.queryParam("job_id")).after(ctx.queryParam("after")).limit(limit(ctx, 100, 1000));
        if (ctx.queryParam("stage") != null) {
            q.stage(dev.koder.training.api.WireName.parse(dev.koder.training.api.CheckpointStage.class,
                    ctx.queryParam("stage")));
        }
        json(ctx, training.checkpoints().list(q.build()));
    }

    private Checkpoint registryCheckpoint(Context ctx) {
        String id = ctx.pathParam("id");
        try {
            Checkpoint c = training.checkpoints().get(id);
            if (c.tenant().equals(principal(ctx).tenant())) {
                return c;
            }
        } catch (CheckpointNotFoundException e) {
            // the same answer as another tenant's checkpoint
        }
        throw ApiError.notFound("checkpoint_id", "No checkpoint found with id " + id);
    }

    /**
     * One file of a checkpoint, from a copy the registry verified (every file's size and SHA-256) when it was first
     * asked for; the answer carries the file's SHA-256 for the client to check again.
     */
    private void downloadFile(Context ctx) throws java.io.IOException {
        Checkpoint c = registryCheckpoint(ctx);
        String path = ctx.pathParam("path");
        Checkpoint.File f = c.files().stream().filter(x -> x.path().equals(path)).findFirst().orElseThrow(() ->
                ApiError.notFound("path", "Checkpoint " + c.id() + " has no file " + path));
        Path copy = verifiedCopy(c).resolve(f.path());
        ctx.header("X-Checksum-Sha256", f.sha256());
        ctx.header("Digest", "sha-256=" + java.util.Base64.getEncoder().encodeToString(java.util.HexFormat.of()
                .parseHex(f.sha256())));
        ctx.header("Content-Length", String.valueOf(f.size()));
        ctx.contentType("application/octet-stream").result(java.nio.file.Files.newInputStream(copy));
    }

    private final Map<String, Object> downloadLocks = new java.util.concurrent.ConcurrentHashMap<>();

    private Path verifiedCopy(Checkpoint c) throws java.io.IOException {
        Path dir = training.home().resolve("server-downloads").resolve(c.id());
        synchronized (downloadLocks.computeIfAbsent(c.id(), k -> new Object())) {
            if (!java.nio.file.Files.isDirectory(dir)) {
                Path tmp = dir.resolveSibling("." + c.id() + ".partial");
                deleteTree(tmp);
                training.checkpoints().download(c.id(), tmp, n -> { });
                java.nio.file.Files.move(tmp, dir, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
        }
        return dir;
    }

    private static void deleteTree(Path root) throws java.io.IOException {
        if (!java.nio.file.Files.exists(root)) {
            return;
        }
        try (var paths = java.nio.file.Files.walk(root)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                java.nio.file.Files.delete(p);
            }
        }
    }

    private void transition(Context ctx, boolean approve) {
        Principal p = principal(ctx);
        Checkpoint c = registryCheckpoint(ctx);
        if (!p.role().includes(Role.APPROVER)) {
            throw ApiError.forbidden("Only an approver's key may " + (approve ? "approve" : "deprecate")
                    + " checkpoints; this key's role is " + p.role().wireName());
        }
        JsonNode body = body(ctx);
        String reason = body.path("reason").asString(null);
        if (reason == null || reason.isBlank()) {
            throw ApiError.badRequest("reason", "Missing required parameter: 'reason'");
        }
        json(ctx, approve ? training.checkpoints().approve(c.id(), p.name(), reason)
                : training.checkpoints().deprecate(c.id(), p.name(), reason));
    }

    // ---- helpers

    /** The dashboard: one page that calls the API with a key the user types (kept in the browser's storage). */
    private static final byte[] DASHBOARD = dashboard();

    private static byte[] dashboard() {
        try (InputStream in = TrainingServer.class.getResourceAsStream("dashboard.html")) {
            return in.readAllBytes();
        } catch (java.io.IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode body(Context ctx) {
        String body = ctx.body();
        if (body.isBlank()) {
            return Json.MAPPER.createObjectNode();
        }
        try {
            return Json.MAPPER.readTree(body);
        } catch (RuntimeException e) {
            throw ApiError.badRequest(null, "The request body is not valid JSON: " + e.getMessage().lines()
                    .findFirst().orElse(""));
        }
    }

    private static int limit(Context ctx, int dflt, int max) {
        String v = ctx.queryParam("limit");
        if (v == null) {
            return dflt;
        }
        try {
            int n = Integer.parseInt(v);
            if (n >= 1 && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw ApiError.badRequest("limit", "limit must be an integer from 1 to " + max + ", got '" + v + "'");
    }

    private static ApiError invalid(InvalidSpecException e) {
        List<Violation> v = e.violations();
        String param = v.isEmpty() || v.get(0).pointer().isEmpty() ? null : v.get(0).pointer();
        return new ApiError(400, "invalid_request_error", "invalid_spec", param, e.getMessage()
                + (v.isEmpty() ? "" : ": " + String.join("; ", v.stream().map(Violation::toString).toList())));
    }

    static void json(Context ctx, Object value) {
        ctx.contentType("application/json").result(Json.write(value));
    }

    private static void error(Context ctx, ApiError e) {
        ctx.attribute("error", e);
        ctx.status(e.status());
        json(ctx, e.body());
    }

    private void logAccess(Context ctx, Float ms) {
        Principal p = ctx.attribute(PRINCIPAL);
        String route = routeOf(ctx);
        metrics.request(ctx.method().name(), route, ctx.statusCode(), ms);
        if (ACCESS.isInfoEnabled()) {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("method", ctx.method().name());
            line.put("path", ctx.path());
            line.put("route", route);
            line.put("status", ctx.statusCode());
            line.put("ms", Math.round(ms * 10) / 10.0);
            line.put("tenant", p == null ? null : p.tenant());
            line.put("key", p == null ? null : p.keyId());
            line.put("ip", ctx.ip());
            ApiError e = ctx.attribute("error");
            if (e != null) {
                line.put("error", e.getMessage());
            }
            ACCESS.info(Json.write(line));
        }
    }

    /** @return the route a request matched ({@code /v1/fine_tuning/jobs/{id}}), or "unmatched" */
    private static String routeOf(Context ctx) {
        try {
            var e = ctx.endpoint();
            return e == null ? "unmatched" : e.path;
        } catch (RuntimeException e) {
            return "unmatched";
        }
    }

    /** Builder of {@link TrainingServer}. */
    public static final class Builder {
        private final Training training;
        private String host = "127.0.0.1";
        private int port = 8080;
        private Integer gpusPerJob;
        private long maxUploadBytes = 512L * 1024 * 1024;
        private long maxBodyBytes = 1024L * 1024;
        private Duration idleTimeout = Duration.ofSeconds(30);

        private Builder(Training training) {
            this.training = Objects.requireNonNull(training, "training");
        }

        /** @param host the address to listen on; default 127.0.0.1 @return this */
        public Builder host(String host) {
            this.host = Objects.requireNonNull(host, "host");
            return this;
        }

        /** @param port the port, 0 for any free one; default 8080 @return this */
        public Builder port(int port) {
            if (port < 0 || port > 65_535) {
                throw new IllegalArgumentException("port must be 0 to 65535, got " + port);
            }
            this.port = port;
            return this;
        }

        /** @param gpus GPUs an OpenAI-style job gets; default 1 when the pool has GPUs, else 0 (CPU) @return this */
        public Builder gpusPerJob(int gpus) {
            if (gpus < 0) {
                throw new IllegalArgumentException("gpusPerJob must be 0 or more, got " + gpus);
            }
            this.gpusPerJob = gpus;
            return this;
        }

        /** @param bytes the largest file upload; default 512 MiB @return this */
        public Builder maxUploadBytes(long bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("maxUploadBytes must be at least 1, got " + bytes);
            }
            this.maxUploadBytes = bytes;
            return this;
        }

        /** @param bytes the largest JSON request body; default 1 MiB @return this */
        public Builder maxBodyBytes(long bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("maxBodyBytes must be at least 1, got " + bytes);
            }
            this.maxBodyBytes = bytes;
            return this;
        }

        /** @param timeout how long a connection may stay silent; default 30 s @return this */
        public Builder idleTimeout(Duration timeout) {
            if (timeout == null || timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("idleTimeout must be more than zero, got " + timeout);
            }
            this.idleTimeout = timeout;
            return this;
        }

        /** @return the server, listening */
        public TrainingServer start() {
            return build().startServer();
        }

        TrainingServer build() {
            int gpus = gpusPerJob != null ? gpusPerJob
                    : training.gpuPool().stream().anyMatch(n -> !n.gpus().isEmpty()) ? 1 : 0;
            return new TrainingServer(training, new Settings(host, port, gpus, maxUploadBytes, maxBodyBytes,
                    idleTimeout));
        }
    }
}
