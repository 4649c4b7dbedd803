package dev.koder.training.server;

import dev.koder.training.tck.KitProcess;
import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.AccessKeys;
import dev.koder.training.api.Tier;
import dev.koder.training.sqlite.SqliteAccess;
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
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server process is SIGKILLed while clients submit and read, then started again on the same home and port:
 * every job it had accepted (answered 200) is still there and goes on, and every client gets answers again.
 */
class ServerRestartTest {

    @TempDir
    Path dir;

    Process start(Path home, int port) throws Exception {
        Process p = new ProcessBuilder(KitProcess.java(List.of("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"),
                ServerProcess.class, home.toString(), String.valueOf(port))).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (String line; System.nanoTime() < deadline && (line = out.readLine()) != null; ) {
            if (line.startsWith("READY ")) {
                Thread drain = new Thread(() -> out.lines().forEach(l -> { }));
                drain.setDaemon(true);
                drain.start();
                return p;
            }
        }
        p.destroyForcibly();
        throw new AssertionError("the server process did not start");
    }

    @Test
    void aKilledServer_losesNoAcceptedJob_andClientsRecover() throws Exception {
        Path home = Files.createDirectories(dir.resolve("home"));
        Path model = Files.createDirectories(dir.resolve("model"));
        Files.writeString(model.resolve("config.json"), "{\"model_type\":\"llama\"}");
        String key;
        try (SqliteAccess access = SqliteAccess.open(home)) {
            key = access.create("acme", AccessKeys.Role.MEMBER, "alice", Tier.PRO).key();
        }
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String base = "http://127.0.0.1:" + port;
        Process server = start(home, port);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        String boundary = "----r";
        String upload = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n--"
                + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"t.jsonl\"\r\n\r\n"
                + ServerApiTest.CHAT.repeat(4) + "\r\n--" + boundary + "--\r\n";
        String fileJson = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/files")).header("Authorization",
                "Bearer " + key).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofString(upload)).build(), HttpResponse.BodyHandlers.ofString()).body();
        String fileId = ServerLoad.field(fileJson, "id");
        String create = "{\"model\":\"" + model + "\",\"training_file\":\"" + fileId + "\"}";

        Set<String> accepted = ConcurrentHashMap.newKeySet();
        AtomicBoolean restarted = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger failuresDuringOutage = new AtomicInteger();
        List<AtomicInteger> answeredAfterRestart = new ArrayList<>();
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < 8; c++) {
            AtomicInteger after = new AtomicInteger();
            answeredAfterRestart.add(after);
            Thread t = new Thread(() -> {
                while (!stop.get()) {
                    try {
                        HttpResponse<String> r = ServerLoad.post(http, base + "/v1/fine_tuning/jobs", key, create);
                        if (r.statusCode() == 200) {
                            accepted.add(ServerLoad.field(r.body(), "id"));
                            if (restarted.get()) {
                                after.incrementAndGet();
                            }
                        }
                        ServerLoad.get(http, base + "/v1/fine_tuning/jobs?limit=5", key);
                        Thread.sleep(50);
                    } catch (Exception e) {
                        failuresDuringOutage.incrementAndGet();
                        try {
                            Thread.sleep(100);
                        } catch (InterruptedException ie) {
                            return;
                        }
                    }
                }
            }, "client-" + c);
            clients.add(t);
            t.start();
        }
        Thread.sleep(3000);
        server.destroyForcibly();
        assertThat(server.waitFor(30, TimeUnit.SECONDS)).isTrue();
        int before = accepted.size();
        Thread.sleep(500);
        server = start(home, port);
        restarted.set(true);
        Thread.sleep(3000);
        stop.set(true);
        for (Thread t : clients) {
            t.join(30_000);
        }
        System.out.printf("accepted %d jobs (%d before the SIGKILL); %d client calls failed during the outage%n",
                accepted.size(), before, failuresDuringOutage.get());
        try {
            assertThat(before).as("jobs accepted before the kill").isGreaterThan(5);
            assertThat(failuresDuringOutage.get()).as("clients saw the outage").isPositive();
            assertThat(answeredAfterRestart).as("every client got answers again").allSatisfy(n ->
                    assertThat(n.get()).isPositive());
            for (String id : accepted) {
                HttpResponse<String> r = ServerLoad.get(http, base + "/v1/fine_tuning/jobs/" + id, key);
                assertThat(r.statusCode()).as(id + " was accepted and must still exist: " + r.body()).isEqualTo(200);
                assertThat(r.body()).as(id).doesNotContain("\"status\":\"failed\"");
            }
        } finally {
            server.destroy();
            server.waitFor(60, TimeUnit.SECONDS);
        }
    }
}
