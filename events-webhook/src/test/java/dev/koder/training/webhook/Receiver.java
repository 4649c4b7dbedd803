package dev.koder.training.webhook;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A webhook receiver as a billing or serving service would write one, in the test: it checks every signature,
 * keeps each event once by its idempotency key (a repeat is answered 200 and not kept again), and can be told to
 * fail, to hang past the sender's timeout, and to stop and start again on the same port.
 */
final class Receiver {

    final byte[] key;
    final int port;
    /** Every event kept, by key, in the order first received. */
    final Map<String, JsonNode> kept = new LinkedHashMap<>();
    final List<String> badSignatures = new ArrayList<>();
    final AtomicInteger requests = new AtomicInteger();
    final AtomicInteger repeats = new AtomicInteger();
    /** How many of the next requests answer 503. */
    final AtomicInteger failNext = new AtomicInteger();
    /** How many of the next requests are kept (their event stored) but answered only after the sender gave up. */
    final AtomicInteger hangNext = new AtomicInteger();
    private HttpServer server;

    Receiver(byte[] key) throws IOException {
        this.key = key;
        this.port = listen(0);
    }

    String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    synchronized void start() throws IOException {
        listen(port);
    }

    private int listen(int at) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", at), 0);
        server.createContext("/", this::handle);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.start();
        return server.getAddress().getPort();
    }

    synchronized void stop() {
        server.stop(0);
    }

    private void handle(HttpExchange x) throws IOException {
        requests.incrementAndGet();
        byte[] body = x.getRequestBody().readAllBytes();
        String id = x.getRequestHeaders().getFirst("webhook-id");
        long ts = Long.parseLong(x.getRequestHeaders().getFirst("webhook-timestamp"));
        String sig = x.getRequestHeaders().getFirst("webhook-signature");
        if (!Signature.verify(key, id, ts, body, sig) || !id.equals(x.getRequestHeaders().getFirst(
                "Idempotency-Key"))) {
            synchronized (this) {
                badSignatures.add(id);
            }
            answer(x, 401, "bad signature");
            return;
        }
        if (failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            x.getResponseHeaders().add("Retry-After", "0");
            answer(x, 503, "busy");
            return;
        }
        JsonNode event = JsonMapper.builder().build().readTree(body);
        synchronized (this) {
            if (kept.putIfAbsent(id, event) != null) {
                repeats.incrementAndGet();
            }
        }
        if (hangNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            try {
                Thread.sleep(2500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        answer(x, 200, "ok");
    }

    private static void answer(HttpExchange x, int code, String text) throws IOException {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        try {
            x.sendResponseHeaders(code, b.length);
            x.getResponseBody().write(b);
        } catch (IOException e) {
            // the sender gave up waiting
        } finally {
            x.close();
        }
    }

    synchronized List<JsonNode> events(String typeSuffix) {
        return kept.values().stream().filter(e -> e.path("type").asString().endsWith(typeSuffix)).toList();
    }
}
