package dev.koder.training.slurm;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.koder.training.spi.Execution;
import dev.koder.training.spi.LaunchPlan;
import dev.koder.training.spi.PluginConfig;
import dev.koder.training.tck.KitProcess;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * slurmrestd queues a job but its answer to the submit never reaches the service (a proxy in front of the real
 * slurmrestd passes the submit on, then drops the connection without answering): the executor finds the job by its
 * launch token and follows it; the job is queued once and its trainer runs once.
 */
class SlurmLostAnswerTest {

    @TempDir
    Path workdir;

    /** Passes every request on to slurmrestd; the first {@code drops} submits get no answer back. */
    static final class DroppingProxy implements AutoCloseable {
        final HttpServer server;
        final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        final AtomicInteger drops;
        final AtomicInteger dropped = new AtomicInteger();

        DroppingProxy(URI target, int drops) throws IOException {
            this.drops = new AtomicInteger(drops);
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/", exchange -> forward(target, exchange));
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort();
        }

        private void forward(URI target, HttpExchange exchange) throws IOException {
            try (exchange) {
                HttpRequest.Builder b = HttpRequest.newBuilder(target.resolve(exchange.getRequestURI().toString()));
                exchange.getRequestHeaders().forEach((name, values) -> {
                    if (name.toLowerCase().startsWith("x-slurm") || name.equalsIgnoreCase("content-type")
                            || name.equalsIgnoreCase("accept")) {
                        values.forEach(v -> b.header(name, v));
                    }
                });
                byte[] body = exchange.getRequestBody().readAllBytes();
                b.method(exchange.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
                HttpResponse<byte[]> answer = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
                if (exchange.getRequestURI().getPath().endsWith("/job/submit") && drops.getAndDecrement() > 0) {
                    dropped.incrementAndGet();
                    return; // slurmrestd queued it; the service hears nothing: the connection closes unanswered
                }
                answer.headers().firstValue("content-type").ifPresent(v -> exchange.getResponseHeaders().add(
                        "Content-Type", v));
                exchange.sendResponseHeaders(answer.statusCode(), answer.body().length == 0 ? -1
                        : answer.body().length);
                exchange.getResponseBody().write(answer.body());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    @Test
    void aSubmitWhoseAnswerIsLost_isFoundByItsLaunchToken_andRunsOnce() throws Exception {
        SlurmCluster cluster = SlurmCluster.get();
        try (DroppingProxy proxy = new DroppingProxy(URI.create(cluster.properties.get("training.slurm.url")), 1)) {
            Map<String, String> props = new LinkedHashMap<>(cluster.properties);
            props.put("training.slurm.url", proxy.url());
            SlurmExecutor executor = SlurmExecutor.create(SlurmSettings.from(new PluginConfig(workdir, props)),
                    workdir);
            try {
                String token = "lost-" + Long.toHexString(System.nanoTime());
                LaunchPlan plan = new LaunchPlan(KitProcess.command("append", workdir.resolve("runs").toString()),
                        Map.of(), workdir, workdir.resolve("logs/stdout.log"), workdir.resolve("logs/stderr.log"))
                        .withLaunchToken(token);
                Execution e = executor.start(plan);
                assertThat(proxy.dropped.get()).as("the submit's answer was dropped").isEqualTo(1);
                assertThat(e.onExit().get(90, TimeUnit.SECONDS).success()).isTrue();
                List<SlurmJob> queued = executor.client().jobsWithComment(SlurmExecutor.COMMENT_PREFIX + token);
                assertThat(queued).as("Slurm jobs with the launch token").hasSize(1);
                assertThat(e.ref()).isEqualTo(SlurmExecutor.REF_PREFIX + queued.get(0).id());
                assertThat(java.nio.file.Files.readAllLines(workdir.resolve("runs"))).as("trainer runs").hasSize(1);
            } finally {
                executor.close();
            }
        }
    }
}
