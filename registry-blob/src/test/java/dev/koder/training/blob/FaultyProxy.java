package dev.koder.training.blob;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP proxy in front of the S3 server that injects faults into chosen requests: a 500 or 503 answer, a
 * connection dropped halfway through the request body, or a slow answer. Everything else is passed through
 * unchanged (the Host header too, so request signatures stay valid).
 */
final class FaultyProxy implements AutoCloseable {

    enum Kind { ERROR_500, ERROR_503, DROP_MID_BODY, SLOW, CORRUPT_BODY }

    /** One planned fault: the next request whose method and query match gets it. */
    record Fault(Kind kind, String method, String queryContains) {
    }

    private static final Set<String> HOP = Set.of("host", "content-length", "connection", "transfer-encoding",
            "expect", "upgrade", "keep-alive", "te", "trailer");

    private final HttpServer server;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private final URI target;
    private final ConcurrentLinkedQueue<Fault> planned = new ConcurrentLinkedQueue<>();
    private final AtomicInteger injected = new AtomicInteger();
    private final AtomicInteger partUploads = new AtomicInteger();
    private volatile Duration slowBy = Duration.ofMillis(1500);

    FaultyProxy(URI target) throws IOException {
        this.target = target;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "faulty-proxy");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/", this::handle);
        server.start();
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    void plan(Fault... faults) {
        planned.addAll(List.of(faults));
    }

    void slowBy(Duration d) {
        slowBy = d;
    }

    /** @return faults injected so far */
    int injected() {
        return injected.get();
    }

    /** @return faults planned but not yet injected */
    int pending() {
        return planned.size();
    }

    private Fault take(HttpExchange ex) {
        String query = ex.getRequestURI().getRawQuery() == null ? "" : ex.getRequestURI().getRawQuery();
        for (Fault f : planned) {
            if (f.method().equals(ex.getRequestMethod()) && query.contains(f.queryContains()) && planned.remove(f)) {
                injected.incrementAndGet();
                return f;
            }
        }
        return null;
    }

    /** @return part uploads that reached the server (with or without a fault) */
    int partUploads() {
        return partUploads.get();
    }

    private void handle(HttpExchange ex) throws IOException {
        String q = ex.getRequestURI().getRawQuery();
        if ("PUT".equals(ex.getRequestMethod()) && q != null && q.contains("partNumber=")) {
            partUploads.incrementAndGet();
        }
        Fault fault = take(ex);
        try (InputStream in = ex.getRequestBody()) {
            if (fault != null && fault.kind() == Kind.DROP_MID_BODY) {
                in.readNBytes(Math.max(1, contentLength(ex) / 2));
                throw new IOException("fault injected: connection dropped halfway through the request body");
            }
            byte[] body = in.readAllBytes();
            if (fault != null && (fault.kind() == Kind.ERROR_500 || fault.kind() == Kind.ERROR_503)) {
                int code = fault.kind() == Kind.ERROR_500 ? 500 : 503;
                String xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>"
                        + (code == 500 ? "InternalError" : "SlowDown") + "</Code><Message>fault injected</Message>"
                        + "</Error>";
                byte[] bytes = xml.getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().set("Content-Type", "application/xml");
                ex.sendResponseHeaders(code, bytes.length);
                ex.getResponseBody().write(bytes);
                ex.close();
                return;
            }
            if (fault != null && fault.kind() == Kind.CORRUPT_BODY && body.length > 0) {
                body[body.length / 2] ^= 0x40; // a bit flipped on the way
            }
            if (fault != null && fault.kind() == Kind.SLOW) {
                Thread.sleep(slowBy.toMillis());
            }
            forward(ex, body);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    private static int contentLength(HttpExchange ex) {
        String v = ex.getRequestHeaders().getFirst("Content-Length");
        return v == null ? 0 : Integer.parseInt(v);
    }

    private void forward(HttpExchange ex, byte[] body) throws IOException, InterruptedException {
        URI uri = URI.create(target + ex.getRequestURI().getRawPath()
                + (ex.getRequestURI().getRawQuery() == null ? "" : "?" + ex.getRequestURI().getRawQuery()));
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(5))
                .method(ex.getRequestMethod(), body.length == 0 && !"PUT".equals(ex.getRequestMethod())
                        ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        ex.getRequestHeaders().forEach((name, values) -> {
            if (!HOP.contains(name.toLowerCase(Locale.ROOT))) {
                values.forEach(v -> b.header(name, v));
            }
        });
        b.header("Host", ex.getRequestHeaders().getFirst("Host"));
        HttpResponse<InputStream> r = client.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        r.headers().map().forEach((name, values) -> {
            if (!HOP.contains(name.toLowerCase(Locale.ROOT)) && !name.startsWith(":")) {
                values.forEach(v -> ex.getResponseHeaders().add(name, v));
            }
        });
        boolean head = "HEAD".equals(ex.getRequestMethod());
        long length = r.headers().firstValueAsLong("Content-Length").orElse(-1);
        if (head) {
            r.headers().firstValue("Content-Length").ifPresent(v -> ex.getResponseHeaders().set("Content-Length", v));
            ex.sendResponseHeaders(r.statusCode(), -1);
            r.body().close();
            ex.close();
            return;
        }
        ex.sendResponseHeaders(r.statusCode(), length == 0 ? -1 : length < 0 ? 0 : length);
        try (InputStream in = r.body(); OutputStream out = ex.getResponseBody()) {
            in.transferTo(out);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
