package dev.koder.training.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.AccessKeys;
import dev.koder.training.api.Tier;
import dev.koder.training.spi.Json;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Two reference server processes on one PostgreSQL, each with a home of its own, a jobs folder and a files folder
 * they share: any of them answers any request (a key made once, a file uploaded through one and trained on through
 * the other, jobs, events and checkpoints read through either, a key revoked for both), exactly one runs the jobs, and
 * when it is killed the other takes over.
 */
class ServersOnPostgresTest {

    static final String CHAT = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},"
            + "{\"role\":\"assistant\",\"content\":\"HI\"}]}\n";

    @TempDir
    Path dir;

    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    record Server(Process process, String base) {
    }

    Server start(String name, Map<String, String> properties) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Process p = ServerHost.start(dir.resolve(name), port, properties);
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        List<String> seen = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (String line; System.nanoTime() < deadline && (line = out.readLine()) != null; ) {
            seen.add(line);
            if (line.startsWith("READY ")) {
                Thread drain = new Thread(() -> out.lines().forEach(l -> { }));
                drain.setDaemon(true);
                drain.start();
                return new Server(p, "http://127.0.0.1:" + port);
            }
        }
        p.destroyForcibly();
        throw new AssertionError("server " + name + " did not start: " + seen);
    }

    HttpResponse<String> get(String url, String key) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + key)
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String url, String key, String contentType, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + key)
                .header("Content-Type", contentType).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(HttpResponse<String> r) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Json.MAPPER.readTree(r.body());
    }

    boolean runsJobs(Server s) {
        try {
            return json(get(s.base() + "/readyz", "")).path("runs_jobs").asBoolean();
        } catch (Exception e) {
            return false;
        }
    }

    String status(Server s, String key, String id) throws Exception {
        return json(get(s.base() + "/v1/fine_tuning/jobs/" + id, key)).path("status").asText();
    }

    void awaitSuccess(Server s, String key, String id) throws InterruptedException {
        Await.until("job " + id + " succeeds, read through " + s.base(), Duration.ofSeconds(90), () -> {
            try {
                return status(s, key, id).equals("succeeded");
            } catch (Exception e) {
                return false;
            }
        });
    }

    @Test
    void anyServerAnswersAnyRequest_oneRunsTheJobs_andTheOtherTakesOverWhenItIsKilled() throws Exception {
        Path model = Files.createDirectories(dir.resolve("model"));
        Files.writeString(model.resolve("config.json"), "{\"model_type\":\"llama\"}");
        Map<String, String> properties = new HashMap<>(PostgresServer.get().properties(dir));
        properties.put("training.lease.timeout", "PT2S");
        properties.put("training.jobs.dir", dir.resolve("shared/jobs").toString());
        properties.put("training.files.dir", dir.resolve("shared/files").toString());
        properties.put("training.models.roots", dir.toString());
        String key;
        try (PostgresAccessKeys keys = PostgresAccessKeys.open(PostgresServer.get().settings(dir))) {
            key = keys.create("acme", AccessKeys.Role.MEMBER, "alice", Tier.PRO).key();
        }
        Server a = start("home-a", properties);
        Server b = start("home-b", properties);
        try {
            Await.until("one server runs the jobs", Duration.ofSeconds(20), () -> runsJobs(a) || runsJobs(b));
            assertThat(runsJobs(a) && runsJobs(b)).as("both run the jobs").isFalse();
            Server worker = runsJobs(a) ? a : b;
            Server other = worker == a ? b : a;

            // the file goes up through one server and trains through the other
            String boundary = "----postgres";
            String upload = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n--"
                    + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"t.jsonl\"\r\n\r\n"
                    + CHAT.repeat(4) + "\r\n--" + boundary + "--\r\n";
            String fileId = json(post(a.base() + "/v1/files", key, "multipart/form-data; boundary=" + boundary, upload))
                    .path("id").asText();
            assertThat(json(get(b.base() + "/v1/files/" + fileId, key)).path("bytes").asLong())
                    .isEqualTo(CHAT.repeat(4).length());
            assertThat(get(b.base() + "/v1/files/" + fileId + "/content", key).body()).isEqualTo(CHAT.repeat(4));
            String create = "{\"model\":\"" + model + "\",\"training_file\":\"" + fileId + "\"}";
            String id = json(post(b.base() + "/v1/fine_tuning/jobs", key, "application/json", create)).path("id")
                    .asText();
            awaitSuccess(a, key, id);
            assertThat(status(b, key, id)).isEqualTo("succeeded");
            for (Server s : List.of(a, b)) {
                assertThat(json(get(s.base() + "/v1/fine_tuning/jobs?limit=10", key)).path("data").toString())
                        .contains(id);
                assertThat(json(get(s.base() + "/v1/fine_tuning/jobs/" + id + "/events?limit=100", key)).path("data")
                        .size()).as("events through %s", s.base()).isGreaterThan(3);
            }
            JsonNode checkpointsA = json(get(a.base() + "/v1/fine_tuning/jobs/" + id + "/checkpoints", key)).path("data");
            JsonNode checkpointsB = json(get(b.base() + "/v1/fine_tuning/jobs/" + id + "/checkpoints", key)).path("data");
            assertThat(checkpointsA.size()).as("the job's checkpoints, registered by the worker").isPositive();
            assertThat(checkpointsB).as("the same registry through either server").isEqualTo(checkpointsA);

            // the worker dies; the other server takes the jobs over and runs what comes next
            worker.process().destroyForcibly();
            worker.process().waitFor(30, TimeUnit.SECONDS);
            Await.until("the other server takes the lease over", Duration.ofSeconds(20), () -> runsJobs(other));
            String next = json(post(other.base() + "/v1/fine_tuning/jobs", key, "application/json", create)).path("id")
                    .asText();
            awaitSuccess(other, key, next);

            // a key revoked once is refused by every server
            try (PostgresAccessKeys keys = PostgresAccessKeys.open(PostgresServer.get().settings(dir))) {
                keys.revoke(keys.list().get(0).keyId());
            }
            assertThat(get(other.base() + "/v1/fine_tuning/jobs", key).statusCode()).isEqualTo(401);
        } finally {
            a.process().destroyForcibly();
            b.process().destroyForcibly();
        }
    }
}
