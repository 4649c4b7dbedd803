package dev.koder.training.webhook;

import dev.koder.training.tck.KitProcess;
import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.CheckpointExport;
import dev.koder.training.api.CheckpointQuery;
import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.Evaluation;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobStatus;
import dev.koder.training.core.Training;
import dev.koder.training.sqlite.SqliteOutbox;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Both webhooks against a receiver in the test that checks signatures and keeps events by key: through 503s, a
 * request that hangs past the sender's timeout and a receiver restart, every event arrives once by key, in order
 * per checkpoint; and a service SIGKILLed with its outbox full of unsent events loses none of them.
 */
class WebhookDeliveryTest {

    @TempDir
    Path dir;

    @Test
    void everyEventArrivesOnceByKey_inOrderPerCheckpoint_signed_throughFailuresATimeoutAndARestart() throws Exception {
        Receiver receiver = new Receiver(Service.KEY);
        receiver.failNext.set(3);
        receiver.hangNext.set(1);
        Path home = dir.resolve("home");
        List<String> expected = new ArrayList<>();
        try (Training t = Service.builder(home, receiver.url("")).build()) {
            Job first = t.jobs().await(t.jobs().submit(Service.job(dir, "first", 8)).id(), Duration.ofSeconds(60));
            receiver.stop();
            Job second = t.jobs().await(t.jobs().submit(Service.job(dir, "second", 8)).id(), Duration.ofSeconds(60));
            Thread.sleep(700);
            receiver.start();
            assertThat(List.of(first.status(), second.status())).containsOnly(JobStatus.SUCCEEDED);

            Checkpoint a = output(t, first);
            Checkpoint b = output(t, second);
            t.checkpoints().approve(a.id(), "carol", "serves well");
            t.checkpoints().deprecate(a.id(), "carol", "superseded");
            Path heldOut = Files.writeString(dir.resolve("held-out.jsonl"), Service.CHAT);
            Evaluation e = t.checkpoints().evaluate(b.id(), DatasetRef.of(heldOut, DatasetFormat.CHAT), "carol",
                    line -> { });
            CheckpointExport x = t.checkpoints().export(b.id(), dir.resolve("served"), false, n -> { });

            for (Job j : List.of(first, second)) {
                for (Checkpoint c : t.checkpoints().list(CheckpointQuery.builder().jobId(j.id()).build()).items()) {
                    expected.add(c.id() + "/registered");
                }
                expected.add("usage/" + j.id() + "/1");
            }
            expected.addAll(List.of(a.id() + "/approved", a.id() + "/deprecated", e.id()));
            awaitTrue("every event at the receiver", () -> {
                synchronized (receiver) {
                    return receiver.kept.keySet().containsAll(expected) && receiver.events(".exported").size() == 1;
                }
            });
            try (SqliteOutbox outbox = SqliteOutbox.open(home.resolve("training.db"))) {
                // a request the receiver kept but answered too late is still pending until its repeat is answered
                awaitTrue("nothing waits in the outboxes", () -> outbox.pending("webhook-registry")
                        + outbox.pending("webhook-usage") == 0);
                assertThat(outbox.dead("webhook-registry") + outbox.dead("webhook-usage")).as("none refused").isZero();
            }

            synchronized (receiver) {
                assertThat(receiver.badSignatures).isEmpty();
                assertThat(receiver.repeats.get()).as("the hung request was sent again, and kept once").isPositive();
                List<String> order = new ArrayList<>(receiver.kept.keySet());
                assertThat(order.indexOf(a.id() + "/registered")).isLessThan(order.indexOf(a.id() + "/approved"));
                assertThat(order.indexOf(a.id() + "/approved")).isLessThan(order.indexOf(a.id() + "/deprecated"));
                assertThat(order.indexOf(b.id() + "/registered")).isLessThan(order.indexOf(e.id()));

                JsonNode approved = receiver.kept.get(a.id() + "/approved");
                assertThat(approved.get("specversion").asString()).isEqualTo("1.0");
                assertThat(approved.get("type").asString()).isEqualTo("dev.koder.training.checkpoint.approved");
                assertThat(approved.get("subject").asString()).isEqualTo(a.id());
                assertThat(approved.get("source").asString()).isEqualTo("urn:training:home");
                assertThat(approved.at("/data/checkpoint/stage").asString()).isEqualTo("approved");
                assertThat(approved.at("/data/checkpoint/files/0/sha256").asString()).hasSize(64);
                assertThat(approved.at("/data/actor").asString()).isEqualTo("carol");
                assertThat(approved.at("/data/reason").asString()).isEqualTo("serves well");
                JsonNode exported = receiver.events(".exported").get(0);
                assertThat(exported.at("/data/manifest_sha256").asString()).isEqualTo(x.manifestSha256());
                assertThat(exported.at("/data/dir").asString()).isEqualTo(x.dir());
                assertThat(receiver.kept.get(e.id()).at("/data/metrics/eval_loss").asDouble()).isEqualTo(0.5);
                JsonNode usage = receiver.kept.get("usage/" + first.id() + "/1");
                assertThat(usage.get("type").asString()).isEqualTo("dev.koder.training.usage.recorded");
                assertThat(usage.at("/data/tenant").asString()).isEqualTo("acme");
                assertThat(usage.at("/data/tier").asString()).isEqualTo("pro");
                assertThat(usage.at("/data/job_id").asString()).isEqualTo(first.id());
                assertThat(usage.at("/data/gpu_type").asString()).isEqualTo("cpu");
                assertThat(usage.at("/data/gpu_hours").asDouble()).isZero();
                assertThat(usage.at("/data/outcome").asString()).isEqualTo("succeeded");
                assertThat(usage.at("/data/currency").asString()).isEqualTo("USD");
            }
        } finally {
            receiver.stop();
        }
    }

    @Test
    void aServiceSigkilledWithItsOutboxFull_losesNothing_andTheNextOneSendsEachOnce() throws Exception {
        Receiver receiver = new Receiver(Service.KEY);
        receiver.stop();
        Path home = dir.resolve("home");
        Process child = new ProcessBuilder(KitProcess.java(List.of("-Dorg.slf4j.simpleLogger.defaultLogLevel=error"),
                WebhookChild.class, home.toString(), receiver.url(""))).redirectErrorStream(true).start();
        long pending;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            StringBuilder seen = new StringBuilder();
            while ((line = out.readLine()) != null && !line.startsWith("READY ")) {
                seen.append(line).append('\n');
            }
            assertThat(line).as("the child's output: " + seen).isNotNull();
            pending = Long.parseLong(line.substring("READY ".length()));
            child.destroyForcibly();
            child.waitFor();
        }
        assertThat(pending).as("a job of 20 steps saving every 2: ten checkpoints, the output and its usage")
                .isGreaterThanOrEqualTo(12);

        receiver.start();
        try (Training t = Service.builder(home, receiver.url("")).build()) {
            awaitTrue("the outbox is drained", () -> {
                synchronized (receiver) {
                    return receiver.kept.size() >= pending;
                }
            });
            Thread.sleep(500);
            synchronized (receiver) {
                assertThat(receiver.kept).hasSize((int) pending);
                assertThat(receiver.repeats.get()).as("nothing was sent twice").isZero();
                for (Checkpoint c : t.checkpoints().list(CheckpointQuery.builder().build()).items()) {
                    assertThat(receiver.kept).containsKey(c.id() + "/registered");
                }
                assertThat(receiver.events(".usage.recorded")).hasSize(1);
            }
        } finally {
            receiver.stop();
        }
    }

    private static Checkpoint output(Training t, Job j) {
        return t.checkpoints().list(CheckpointQuery.builder().jobId(j.id()).build()).items().stream()
                .filter(Checkpoint::last).findFirst().orElseThrow();
    }

    private static void awaitTrue(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 30 s: " + what);
            }
            Thread.sleep(50);
        }
    }
}
