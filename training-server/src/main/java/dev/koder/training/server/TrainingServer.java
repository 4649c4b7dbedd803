package dev.koder.training.server;

import dev.koder.training.api.AccessKeys.Principal;
import dev.koder.training.api.CheckpointNotFoundException;
import dev.koder.training.api.ApprovalRefusedException;
import dev.koder.training.api.IllegalCheckpointStateException;
import dev.koder.training.api.IllegalJobStateException;
import dev.koder.training.api.InvalidSpecException;
import dev.koder.training.api.JobNotFoundException;
import dev.koder.training.api.JobQuery;
import dev.koder.training.api.QuotaExceededException;
import dev.koder.training.api.RejectedFileException;
import dev.koder.training.api.Violation;
import dev.koder.training.core.TenantView;
import dev.koder.training.core.Training;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.config.SizeUnit;
import io.javalin.http.Context;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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

    private final Training training;
    private final Auth auth;
    private final Settings settings;
    private final ServerMetrics metrics;
    private final Javalin app;

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
        this.auth = new Auth(training.keys());
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
        // Jetty's own errors (a malformed URL, a bad header) answer in the API's envelope, not an HTML page.
        config.jetty.modifyServer(server -> server.setErrorHandler(new EnvelopeErrors()));
        config.jetty.modifyServletContextHandler(handler -> handler.setErrorHandler(new EnvelopeErrors()));
        config.startup.showJavalinBanner = false;
        config.requestLogger.http(this::logAccess);
        var r = config.routes;
        r.get("/", ctx -> ctx.contentType("text/html; charset=utf-8").result(DASHBOARD));
        r.get("/healthz", ctx -> json(ctx, Map.of("status", "ok")));
        r.get("/readyz", this::ready);
        r.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4").result(metrics.scrape()));
        r.before("/v1/*", auth::authenticate);
        new FilesApi(this, settings.maxUploadBytes()).routes(r, auth);
        new JobsApi(this, settings.gpusPerJob()).routes(r, auth);
        new NativeApi(this).routes(r, auth);
        new RegistryApi(this, new Downloads(training.home())).routes(r, auth);
        new ModelsApi(this).routes(r, auth);

        r.exception(ApiError.class, (e, ctx) -> error(ctx, e));
        r.exception(JobNotFoundException.class, (e, ctx) -> error(ctx, ApiError.notFound("id", e.getMessage())));
        r.exception(CheckpointNotFoundException.class, (e, ctx) -> error(ctx, ApiError.notFound("id", e.getMessage())));
        r.exception(InvalidSpecException.class, (e, ctx) -> error(ctx, invalid(e)));
        r.exception(dev.koder.training.api.UnsupportedFeatureException.class, (e, ctx) -> error(ctx,
                ApiError.badRequest(null, redactor(tenant(ctx)).text(e.getMessage()))));
        r.exception(QuotaExceededException.class, (e, ctx) -> error(ctx, new ApiError(429, "insufficient_quota",
                "quota_exceeded", null, e.getMessage())));
        r.exception(IllegalJobStateException.class, (e, ctx) -> error(ctx, new ApiError(409, "invalid_request_error",
                "invalid_state", null, redactor(tenant(ctx)).text(e.getMessage()))));
        r.exception(IllegalCheckpointStateException.class, (e, ctx) -> error(ctx, new ApiError(409,
                "invalid_request_error", "invalid_state", null, e.getMessage())));
        r.exception(ApprovalRefusedException.class, (e, ctx) -> error(ctx, new ApiError(409, "invalid_request_error",
                "approval_refused", null, e.getMessage()).with("gate", e.verdict())));
        r.exception(RejectedFileException.class, (e, ctx) -> error(ctx, new ApiError(e.tooLarge() ? 413 : 400,
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
        r.error(405, "*", ctx -> {
            if (ctx.attribute("error") == null) {
                error(ctx, new ApiError(405, "invalid_request_error", "method_not_allowed", null, "Method "
                        + ctx.method() + " is not allowed on " + ctx.path()));
            }
        });
    }

    /** @return the caller's part of the service: its tenant and tier, datasets from its uploads only */
    TenantView tenant(Context ctx) {
        Principal p = Auth.principal(ctx);
        return training.tenant(p.tenant(), p.tier()).uploadsOnly();
    }

    /** @return what takes server paths out of what this tenant reads */
    Redactor redactor(TenantView tenant) {
        return new Redactor(training.home(), tenant::publicModel);
    }

    Training training() {
        return training;
    }

    /** @return every route with the least role that may call it (the README's roles table) */
    public List<String> rolesTable() {
        return auth.table().stream().map(x -> x.method().name() + " " + x.path() + " | " + x.role().wireName()
                + " | " + x.what()).toList();
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

    static ApiError invalid(InvalidSpecException e) {
        List<Violation> v = e.violations();
        String param = v.isEmpty() || v.get(0).pointer().isEmpty() ? null : v.get(0).pointer();
        return new ApiError(400, "invalid_request_error", "invalid_spec", param, e.getMessage()
                + (v.isEmpty() ? "" : ": " + String.join("; ", v.stream().map(Violation::toString).toList())));
    }

    static void json(Context ctx, Object value) {
        Requests.json(ctx, value);
    }

    private static void error(Context ctx, ApiError e) {
        ctx.attribute("error", e);
        ctx.status(e.status());
        json(ctx, e.body());
    }

    private void logAccess(Context ctx, Float ms) {
        Principal p = ctx.attribute(Auth.PRINCIPAL);
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
            ACCESS.info(ServerJson.write(line));
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
