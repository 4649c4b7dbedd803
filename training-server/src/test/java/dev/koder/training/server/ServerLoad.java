package dev.koder.training.server;

import dev.koder.training.api.AccessKeys;
import dev.koder.training.api.Tier;
import dev.koder.training.core.Training;
import dev.koder.training.sqlite.SqliteAccess;
import dev.koder.training.tck.ScriptedRunner;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The reference server under load on loopback: N concurrent clients (200 by default) for S seconds (60), each
 * looping over OpenAI-style requests (after 5 s of warm-up, not recorded): list jobs (30%), retrieve a job (30%), list a job's events (30%) and submit
 * a job (10%; the third argument changes this share, the rest split evenly), with the scripted trainer running the submitted jobs one at a time behind the server. Prints p50,
 * p99 and max latency per request kind and the errors (any answer but 200, or no answer).
 *
 * <p>A benchmark, not a test (it lives beside the tests for their class path: the benchmarks module's S3 stand-in
 * brings an older Jetty):
 * <pre>
 * mvn -q -pl training-server test-compile dependency:build-classpath -Dmdep.includeScope=test \
 *     -Dmdep.outputFile=target/cp.txt
 * java -cp "training-server/target/test-classes:training-server/target/classes:$(cat training-server/target/cp.txt)" \
 *     dev.koder.training.server.ServerLoad [clients] [seconds] [percent of requests that submit] [pause ms]
 * </pre>
 */
public final class ServerLoad {

    static final long WARM_UP_NANOS = 5_000_000_000L;

    private ServerLoad() {
    }

    public static void main(String[] args) throws Exception {
        int clients = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 60;
        int submitShare = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        int readShare = (100 - submitShare) / 3;
        // Each client pauses this long after an answer (0: back to back, the server saturated), as a client that
        // polls a job's status and events does.
        long thinkMillis = args.length > 3 ? Long.parseLong(args[3]) : 0;
        Path dir = Files.createTempDirectory("server-load");
        Path model = Files.createDirectories(dir.resolve("model"));
        Files.writeString(model.resolve("config.json"), "{\"model_type\":\"llama\"}");
        String chat = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\","
                + "\"content\":\"HI\"}]}\n";
        try (Training training = Training.builder().home(dir.resolve("home")).property("training.models.roots", dir.toString()).runner(new ScriptedRunner("fake",
                ScriptedRunner.allMethods())).pollInterval(Duration.ofMillis(200)).build();
                TrainingServer server = TrainingServer.builder(training).port(0).start()) {
            String key;
            try (SqliteAccess access = SqliteAccess.open(training.home())) {
                key = access.create("load", AccessKeys.Role.MEMBER, "load", Tier.PRO).key();
            }
            String base = "http://127.0.0.1:" + server.port();
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
            String boundary = "----load";
            String upload = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n"
                    + "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"t.jsonl\"\r\n\r\n"
                    + chat.repeat(8) + "\r\n--" + boundary + "--\r\n";
            String fileJson = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/files"))
                    .header("Authorization", "Bearer " + key).header("Content-Type", "multipart/form-data; boundary="
                            + boundary).POST(HttpRequest.BodyPublishers.ofString(upload)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            String fileId = field(fileJson, "id");
            String create = "{\"model\":\"" + model + "\",\"training_file\":\"" + fileId + "\"}";
            List<String> jobs = Collections.synchronizedList(new ArrayList<>());
            for (int i = 0; i < 20; i++) {
                jobs.add(field(post(http, base + "/v1/fine_tuning/jobs", key, create).body(), "id"));
            }
            Map<String, List<Long>> latencies = new ConcurrentHashMap<>();
            Map<String, AtomicLong> errors = new ConcurrentHashMap<>();
            // The first 5 s are not recorded: the JIT compiles and 200 connections open at once then.
            long measureFrom = System.nanoTime() + WARM_UP_NANOS;
            long deadline = measureFrom + seconds * 1_000_000_000L;
            List<Thread> threads = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                Thread t = new Thread(() -> {
                    Map<String, List<Long>> mine = new TreeMap<>();
                    ThreadLocalRandom random = ThreadLocalRandom.current();
                    while (System.nanoTime() < deadline) {
                        int pick = random.nextInt(100);
                        String job = jobs.get(random.nextInt(jobs.size()));
                        String kind = pick < readShare ? "list" : pick < 2 * readShare ? "retrieve"
                                : pick < 100 - submitShare ? "events" : "submit";
                        long start = System.nanoTime();
                        try {
                            HttpResponse<String> r = switch (kind) {
                                case "list" -> get(http, base + "/v1/fine_tuning/jobs?limit=20", key);
                                case "retrieve" -> get(http, base + "/v1/fine_tuning/jobs/" + job, key);
                                case "events" -> get(http, base + "/v1/fine_tuning/jobs/" + job + "/events?limit=20", key);
                                default -> post(http, base + "/v1/fine_tuning/jobs", key, create);
                            };
                            if (r.statusCode() != 200 && start >= measureFrom) {
                                errors.computeIfAbsent(kind + " " + r.statusCode(), k -> new AtomicLong()).incrementAndGet();
                            } else if (kind.equals("submit")) {
                                jobs.add(field(r.body(), "id"));
                            }
                        } catch (Exception e) {
                            // (errors in the warm-up count too)
                            errors.computeIfAbsent(kind + " " + e.getClass().getSimpleName(), k -> new AtomicLong())
                                    .incrementAndGet();
                        }
                        if (start >= measureFrom) {
                            mine.computeIfAbsent(kind, k -> new ArrayList<>()).add(System.nanoTime() - start);
                        }
                        if (thinkMillis > 0) {
                            try {
                                Thread.sleep(random.nextLong(thinkMillis / 2, thinkMillis * 3 / 2 + 1));
                            } catch (InterruptedException e) {
                                return;
                            }
                        }
                    }
                    mine.forEach((k, v) -> latencies.computeIfAbsent(k, x -> Collections.synchronizedList(
                            new ArrayList<>())).addAll(v));
                }, "client-" + c);
                threads.add(t);
                t.start();
            }
            for (Thread t : threads) {
                t.join();
            }
            System.out.printf(Locale.ROOT, "%d clients for %d s on loopback, %d cores, %d%% submissions, %d ms pauses; "
                    + "jobs in all: %d%n", clients, seconds, Runtime.getRuntime().availableProcessors(), submitShare,
                    thinkMillis, jobs.size());
            List<Long> reads = new ArrayList<>();
            long total = 0;
            for (String kind : List.of("list", "retrieve", "events", "submit")) {
                List<Long> l = new ArrayList<>(latencies.getOrDefault(kind, List.of()));
                total += l.size();
                if (!kind.equals("submit")) {
                    reads.addAll(l);
                }
                print(kind, l, seconds);
            }
            print("all reads", reads, seconds);
            System.out.printf(Locale.ROOT, "requests: %,d (%,.0f/s); errors: %s%n", total, (double) total / seconds,
                    errors.isEmpty() ? "0" : errors);
        }
    }

    static void print(String kind, List<Long> nanos, int seconds) {
        Collections.sort(nanos);
        if (nanos.isEmpty()) {
            System.out.println(kind + ": none");
            return;
        }
        System.out.printf(Locale.ROOT, "%-10s %,8d requests (%,6.0f/s)  p50 %6.1f ms  p99 %6.1f ms  max %7.1f ms%n",
                kind, nanos.size(), (double) nanos.size() / seconds, nanos.get(nanos.size() / 2) / 1e6,
                nanos.get((int) Math.min(nanos.size() - 1, Math.ceil(nanos.size() * 0.99) - 1)) / 1e6,
                nanos.get(nanos.size() - 1) / 1e6);
    }

    static HttpResponse<String> get(HttpClient http, String url, String key) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + key)
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> post(HttpClient http, String url, String key, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static final Pattern ID = Pattern.compile("\"id\":\"([^\"]+)\"");

    static String field(String json, String name) {
        Matcher m = ID.matcher(json);
        if (!m.find()) {
            throw new IllegalStateException("no id in " + json);
        }
        return m.group(1);
    }
}
