package dev.koder.training.mlflow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.CheckpointQuery;
import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.Hyperparameters;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Resources;
import dev.koder.training.api.TrainingMethod;
import dev.koder.training.core.Training;
import dev.koder.training.spi.PluginConfig;
import dev.koder.training.trl.TrlRunner;
import dev.koder.training.trl.TrlTools;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sink inside a real service: found through ServiceLoader, a real TRL job tracked end to end, approvals
 * mirrored as model versions, an outage of a minute that training never notices, and a SIGKILLed service JVM
 * whose unsent events are sent once by the next one.
 */
class MlflowServiceTest {

    static final Path DATA = Path.of("../examples/data").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    FakeMlflowServer fake;
    final List<Process> children = new ArrayList<>();

    @BeforeEach
    void startFake() throws IOException {
        fake = new FakeMlflowServer();
    }

    @AfterEach
    void stop() {
        children.forEach(Process::destroyForcibly);
        fake.close();
    }

    Training.Builder service(Path home) {
        return Training.builder().home(home).pollInterval(Duration.ofMillis(100))
                .property("training.mlflow.uri", fake.uri()).property("training.mlflow.flush-ms", "200")
                .property("training.mlflow.max-backoff-ms", "2000").property("training.mlflow.timeout-ms", "1000");
    }

    static void awaitTrue(String what, Duration limit, java.util.function.BooleanSupplier check)
            throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!check.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    static List<JobEvent> events(Training t, String id) {
        return t.jobs().events(id, 0, 1000).items();
    }

    @Test
    void aRealTrlJob_isTrackedEndToEnd_andItsApprovedOutputBecomesAModelVersion() throws Exception {
        Path home = dir.resolve("home");
        TrlRunner runner = new TrlRunner(new PluginConfig(dir, Map.of()));
        Path model = new TrlTools(runner).tinyModel(dir.resolve("tiny-llama"), List.of(DATA.resolve(
                "shout-train.jsonl")), 64, dir.resolve("work"), line -> { });
        JobSpec spec = JobSpec.builder().name("tiny-sft-tracked").tenant("recsys").baseModel(model.toString())
                .runner("trl").method(TrainingMethod.sftLora())
                .hyperparameters(Hyperparameters.builder().maxSteps(12).learningRate(2e-3).microBatchSize(16)
                        .maxSeqLength(64).gradientCheckpointing(false).build())
                .trainingData(DatasetRef.of(DATA.resolve("shout-train.jsonl"), DatasetFormat.CHAT))
                .resources(Resources.cpu()).build();
        String id;
        try (Training t = service(home).build()) {
            Job done = t.jobs().await(t.jobs().submit(spec).id(), Duration.ofMinutes(5));
            id = done.id();
            assertThat(done.status()).isEqualTo(JobStatus.SUCCEEDED);
            awaitTrue("the run is finished", Duration.ofSeconds(30), () -> fake.runOfJob(id)
                    .map(r -> r.status.equals("FINISHED")).orElse(false));
            FakeMlflowServer.Run run = fake.runOfJob(id).orElseThrow();
            assertThat(run.name).isEqualTo("tiny-sft-tracked");
            assertThat(fake.experiments().get(run.experimentId).name).isEqualTo("training/recsys");
            assertThat(run.params).containsEntry("method.adapter", "lora").containsEntry("hyperparameters.max_steps",
                    "12").containsEntry("hyperparameters.learning_rate", "0.002");
            assertThat(run.tags).containsEntry("training.runner", "trl").containsEntry("training.tenant", "recsys")
                    .containsEntry("training.method", "sft+lora").containsKey("training.spec_sha256")
                    .containsKey("training.base_model_revision").containsKey("training.estimate.gpu_hours")
                    .containsEntry("training.dataset.train.lines", Long.toString(Files.readAllLines(
                            DATA.resolve("shout-train.jsonl")).size()))
                    .containsKey("training.checkpoint.output");
            List<Long> progressSteps = events(t, id).stream().filter(e -> e.type().equals(JobEvent.TYPE_PROGRESS))
                    .map(e -> ((Number) e.data().get("step")).longValue()).toList();
            assertThat(progressSteps).isNotEmpty();
            assertThat(fake.metrics(run.id, "loss")).extracting(m -> m.step).containsExactlyElementsOf(progressSteps);
            assertThat(fake.metrics(run.id, "learning_rate")).hasSameSizeAs(progressSteps);
            assertThat(fake.artifacts().keySet()).anyMatch(k -> k.endsWith("/artifacts/spec.json"))
                    .anyMatch(k -> k.endsWith("/artifacts/events.jsonl")).anyMatch(k -> k.endsWith("/estimate.json"))
                    .anyMatch(k -> k.endsWith("/checkpoints.json"));
            Job tracked = t.jobs().get(id);
            assertThat(tracked.tracking()).containsEntry("mlflow.run_id", run.id);
            awaitTrue("status says tracking is up to date", Duration.ofSeconds(10),
                    () -> t.tracking(t.jobs().get(id)).stream().anyMatch(l -> l.endsWith("up to date")));
            assertThat(t.tracking(tracked)).singleElement().asString().contains(run.id);

            Checkpoint output = t.checkpoints().list(CheckpointQuery.builder().jobId(id).limit(10).build()).items()
                    .stream().filter(Checkpoint::last).findFirst().orElseThrow();
            // an evaluation on demand goes to the job's run at the checkpoint's step, beside the base's figure
            dev.koder.training.api.Evaluation e = t.checkpoints().evaluate(output.id(), DatasetRef.of(DATA.resolve(
                    "shout-test.jsonl"), DatasetFormat.CHAT), "alice", line -> { });
            String key = "eval_ondemand/" + e.dataSha256().substring(0, 12) + "/eval_loss";
            awaitTrue("the evaluation is in the run", Duration.ofSeconds(30),
                    () -> !fake.metrics(run.id, key).isEmpty());
            assertThat(fake.metrics(run.id, key)).singleElement().satisfies(p -> {
                assertThat(p.step).isEqualTo(output.step());
                assertThat(p.value).isEqualTo(e.metrics().get("eval_loss"));
            });
            assertThat(fake.metrics(run.id, key.replace("/eval_loss", "/base/eval_loss"))).singleElement()
                    .satisfies(p -> assertThat(p.value).isEqualTo(e.baseMetrics().get("eval_loss")));
            assertThat(fake.runOfJob(id).orElseThrow().tags).containsEntry("training.evaluation."
                    + e.dataSha256().substring(0, 12) + ".checkpoint", output.id());

            t.checkpoints().approve(output.id(), "alice", "beats the baseline");
            String name = "recsys." + model.toString().replaceAll("^/+", "").replaceAll("[^A-Za-z0-9._-]+", "-");
            awaitTrue("the approved output is a model version with the alias", Duration.ofSeconds(30),
                    () -> fake.model(name).map(m -> m.aliases.containsKey("approved")).orElse(false));
            FakeMlflowServer.Model m = fake.model(name).orElseThrow();
            assertThat(m.versions).singleElement().satisfies(v -> {
                assertThat(v.runId).isEqualTo(run.id);
                assertThat(v.tags).containsEntry("checkpoint.id", output.id()).containsEntry("stage", "approved");
                assertThat(v.source).endsWith("/artifacts/checkpoints/" + output.id());
            });
            assertThat(m.aliases).containsEntry("approved", "1");

            t.checkpoints().deprecate(output.id(), "bob", "superseded");
            awaitTrue("the alias is gone", Duration.ofSeconds(30),
                    () -> !fake.model(name).orElseThrow().aliases.containsKey("approved"));
            awaitTrue("the version is tagged deprecated", Duration.ofSeconds(30),
                    () -> "true".equals(fake.model(name).orElseThrow().versions.get(0).tags.get("deprecated")));
        }
        // A restart reconciles MLflow with the registry: nothing to change, so nothing is changed.
        long before = fake.mutations();
        try (Training t = service(home).build()) {
            Thread.sleep(1500);
            assertThat(fake.mutations()).as("requests that change something after a restart").isEqualTo(before);
            assertThat(fake.aliasMisses.get()).as("lookups of an alias that is not set, which MLflow answers with "
                    + "an error").isZero();
            assertThat(fake.runs()).hasSize(1);
        }
        assertThat(fake.duplicateMetrics()).isZero();
    }

    @Test
    void approvalsBecomeModelVersions_theAliasFollowsTheNewestApproval_andARestartChangesNothing() throws Exception {
        Path home = dir.resolve("home");
        ScriptedJobs jobs = new ScriptedJobs(dir);
        String first;
        String model;
        try (Training t = service(home).runner(jobs.runner()).build()) {
            String a = t.jobs().await(t.jobs().submit(jobs.spec("first", 4, 0.01)).id(), Duration.ofMinutes(1)).id();
            String b = t.jobs().await(t.jobs().submit(jobs.spec("second", 4, 0.01)).id(), Duration.ofMinutes(1)).id();
            Checkpoint outA = output(t, a);
            Checkpoint outB = output(t, b);
            String name = "acme." + outA.baseModel().replaceAll("^/+", "").replaceAll("[^A-Za-z0-9._-]+", "-");
            t.checkpoints().approve(outA.id(), "alice", "good");
            awaitTrue("a version with the alias", Duration.ofSeconds(20),
                    () -> fake.model(name).map(m -> "1".equals(m.aliases.get("approved"))).orElse(false));
            t.checkpoints().approve(outB.id(), "alice", "better");
            awaitTrue("the alias moves to the newest approval", Duration.ofSeconds(20),
                    () -> "2".equals(fake.model(name).orElseThrow().aliases.get("approved")));
            t.checkpoints().deprecate(outB.id(), "bob", "regressed");
            awaitTrue("the alias falls back to the one still approved", Duration.ofSeconds(20),
                    () -> "1".equals(fake.model(name).orElseThrow().aliases.get("approved")));
            assertThat(fake.model(name).orElseThrow().versions.get(1).tags).containsEntry("deprecated", "true")
                    .containsEntry("stage", "deprecated");
            assertThat(fake.model(name).orElseThrow().versions.get(1).description).contains("deprecated in the "
                    + "training registry").doesNotContain("approved in");
            assertThat(fake.model(name).orElseThrow().versions.get(0).description).contains("approved in the "
                    + "training registry").contains("training checkpoints download " + outA.id());
            first = outA.id();
            model = name;
        }
        // a command that runs no jobs (the CLI's deprecate) leaves MLflow in line when it closes, with no worker
        try (Training cli = service(home).runner(jobs.runner()).runJobs(false).build()) {
            cli.checkpoints().deprecate(first, "bob", "retired");
        }
        assertThat(fake.model(model).orElseThrow().aliases).as("no alias once nothing is approved, at once when "
                + "the command ended").isEmpty();
        assertThat(fake.model(model).orElseThrow().versions.get(0).tags).containsEntry("stage", "deprecated");
        long before = fake.mutations();
        try (Training t = service(home).runner(jobs.runner()).build()) {
            Thread.sleep(1500);
            assertThat(fake.mutations()).as("requests that change something after a restart").isEqualTo(before);
            assertThat(fake.aliasMisses.get()).as("lookups of an alias that is not set, which MLflow answers with "
                    + "an error").isZero();
        }
    }

    static Checkpoint output(Training t, String jobId) {
        return t.checkpoints().list(CheckpointQuery.builder().jobId(jobId).limit(10).build()).items().stream()
                .filter(Checkpoint::last).findFirst().orElseThrow();
    }

    @Test
    void mlflowDownForAMinuteMidRun_thenTooManyRequests_thenHanging_neverSlowsTheJob_andLosesNothing()
            throws Exception {
        Path home = dir.resolve("home");
        ScriptedJobs jobs = new ScriptedJobs(dir);
        long start;
        String id;
        AtomicLong outageFrom = new AtomicLong(Long.MAX_VALUE);
        fake.hangMillis = 2500;
        fake.faults((method, path) -> {
            long since = System.nanoTime() - outageFrom.get();
            if (since < 0) {
                return null;
            }
            if (since < Duration.ofSeconds(60).toNanos()) {
                return FakeMlflowServer.Fault.UNAVAILABLE;
            }
            if (since < Duration.ofSeconds(64).toNanos()) {
                return FakeMlflowServer.Fault.TOO_MANY;
            }
            if (since < Duration.ofSeconds(70).toNanos()) {
                return FakeMlflowServer.Fault.HANG;
            }
            return null;
        });
        // 360 steps of 0.25 s: 90 s of training, of which MLflow is of no use for 70.
        double stepSeconds = 0.25;
        int steps = 360;
        try (Training t = service(home).runner(jobs.runner()).build()) {
            id = t.jobs().submit(jobs.spec("outage", steps, stepSeconds)).id();
            awaitTrue("training has started", Duration.ofSeconds(60), () -> t.jobs().get(id).progress().step() != null
                    && t.jobs().get(id).progress().step() >= 10);
            outageFrom.set(System.nanoTime());
            start = System.nanoTime();
            Job done = t.jobs().await(id, Duration.ofMinutes(4));
            assertThat(done.status()).isEqualTo(JobStatus.SUCCEEDED);
            double took = (System.nanoTime() - start) / 1e9;
            double left = (steps - 10) * stepSeconds;
            assertThat(took).as("seconds from the outage to the end, for %.0f s of steps left", left)
                    .isLessThan(left * 1.15 + 3);
            awaitTrue("tracking catches up", Duration.ofSeconds(90), () -> fake.runOfJob(id)
                    .map(r -> r.status.equals("FINISHED")).orElse(false));
            String run = fake.runOfJob(id).orElseThrow().id;
            List<Long> stored = events(t, id).stream().filter(e -> e.type().equals(JobEvent.TYPE_PROGRESS))
                    .map(e -> ((Number) e.data().get("step")).longValue()).toList();
            assertThat(fake.metrics(run, "loss")).extracting(m -> m.step).containsExactlyElementsOf(stored);
            assertThat(fake.duplicateMetrics()).isZero();
        }
    }

    @Test
    void aServiceJvmKilledWithUnsentEvents_isFollowedByOneThatSendsEachOnce() throws Exception {
        Path home = dir.resolve("home");
        ScriptedJobs jobs = new ScriptedJobs(dir);
        fake.faults((method, path) -> FakeMlflowServer.Fault.UNAVAILABLE);
        // Every process on the home reads the setting from the home's properties, as in a deployment.
        Files.createDirectories(home);
        Files.writeString(home.resolve("training.properties"), "training.mlflow.uri=" + fake.uri() + "\n"
                + "training.mlflow.max-backoff-ms=500\n");
        Process host = MlflowServiceHost.start(home, fake.uri());
        children.add(host);
        BufferedReader out = new BufferedReader(new InputStreamReader(host.getInputStream(), StandardCharsets.UTF_8));
        assertThat(out.readLine()).isEqualTo("ready");
        String id;
        try (Training client = Training.builder().home(home).runner(jobs.runner()).runJobs(false).build()) {
            id = client.jobs().submit(jobs.spec("killed", 60, 0.05)).id();
            awaitTrue("the job is done", Duration.ofSeconds(90),
                    () -> client.jobs().get(id).status() == JobStatus.SUCCEEDED);
            assertThat(client.tracking(client.jobs().get(id))).singleElement().asString()
                    .startsWith("MLflow: no run yet").contains("last MLflow error").contains("503");
        }
        assertThat(fake.runs()).as("MLflow was down the whole time").isEmpty();
        host.destroyForcibly();
        assertThat(host.waitFor(30, TimeUnit.SECONDS)).isTrue();

        fake.healthy();
        try (Training t = service(home).runner(jobs.runner()).build()) {
            awaitTrue("the run is sent after the restart", Duration.ofSeconds(60), () -> fake.runOfJob(id)
                    .map(r -> r.status.equals("FINISHED")).orElse(false));
            String run = fake.runOfJob(id).orElseThrow().id;
            List<Long> stored = events(t, id).stream().filter(e -> e.type().equals(JobEvent.TYPE_PROGRESS))
                    .map(e -> ((Number) e.data().get("step")).longValue()).toList();
            assertThat(stored).hasSize(60);
            assertThat(fake.metrics(run, "loss")).extracting(m -> m.step).containsExactlyElementsOf(stored);
            assertThat(fake.runs()).hasSize(1);
            assertThat(fake.duplicateMetrics()).isZero();
        }
    }
}
