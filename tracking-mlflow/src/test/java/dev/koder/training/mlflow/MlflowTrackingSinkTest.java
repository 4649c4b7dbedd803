package dev.koder.training.mlflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.koder.training.api.FailureCause;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobFailure;
import dev.koder.training.api.JobProgress;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.LoraConfig;
import dev.koder.training.api.TrainingMethod;
import dev.koder.training.spi.JobEventStream;
import dev.koder.training.spi.PluginConfig;
import dev.koder.training.spi.TrackingSink;
import dev.koder.training.tck.KitTrackingContext;
import dev.koder.training.tck.Samples;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The sink against the fake server, driven through an in-memory context, as the service would drive it. */
class MlflowTrackingSinkTest {

    @TempDir
    Path home;

    FakeMlflowServer fake;
    final List<TrackingSink> sinks = new ArrayList<>();

    @BeforeEach
    void startFake() throws IOException {
        fake = new FakeMlflowServer();
    }

    @AfterEach
    void stop() {
        sinks.forEach(TrackingSink::close);
        fake.close();
    }

    TrackingSink sink(KitTrackingContext ctx, String... more) {
        Map<String, String> p = new HashMap<>(Map.of("training.mlflow.uri", fake.uri(), "training.mlflow.flush-ms", "50",
                "training.mlflow.max-backoff-ms", "400", "training.mlflow.timeout-ms", "500"));
        for (int i = 0; i < more.length; i += 2) {
            p.put(more[i], more[i + 1]);
        }
        TrackingSink s = MlflowTrackingSinkProvider.create(new PluginConfig(home, p), Map.of());
        sinks.add(s);
        s.start(ctx);
        return s;
    }

    static Job running(KitTrackingContext ctx, String id, JobSpec spec) {
        Instant t = Instant.parse("2026-11-29T10:00:00Z");
        ctx.put(queued(id, spec, t).build());
        return ctx.move(id, JobStatus.RUNNING);
    }

    static Job.Builder queued(String id, JobSpec spec, Instant t) {
        return Job.builder().id(id).spec(spec).status(JobStatus.QUEUED).runner("trl").createdAt(t).updatedAt(t)
                .startedAt(t).attempt(1).progress(JobProgress.NONE);
    }

    static void progress(KitTrackingContext ctx, TrackingSink sink, Job job, int from, int to) {
        for (int step = from; step <= to; step++) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("step", step);
            d.put("total_steps", to);
            d.put("loss", 3.0 - step / 1000.0);
            d.put("learning_rate", 2e-4);
            d.put("grad_norm", 0.5);
            d.put("tokens_per_second", 1000.0 + step);
            d.put("gpu_memory_gib", 7.5);
            d.put("rewards_margins", step / 100.0);
            sink.onEvent(job, ctx.append(job.id(), JobEvent.TYPE_PROGRESS, d));
        }
    }

    static void end(KitTrackingContext ctx, TrackingSink sink, Job job, JobStatus status, JobFailure failure) {
        Job done = ctx.move(job.id(), status, failure);
        List<JobEvent> all = ctx.events(job.id(), 0, 1000).items();
        sink.onEvent(done, all.get(all.size() - 1));
    }

    /** Waits until MLflow holds the first {@code n} losses of a job's run. */
    void awaitLosses(String jobId, int n) throws InterruptedException {
        awaitTrue("the first " + n + " events sent", () -> fake.runOfJob(jobId)
                .map(r -> fake.metrics(r.id, "loss").size() == n).orElse(false));
    }

    static void awaitTrue(String what, java.util.function.BooleanSupplier check) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!check.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    @Test
    void aJob_becomesOneRun_withTheFlattenedSpec_itsTags_metricsAtTheirSteps_andItsEnd() throws Exception {
        KitTrackingContext ctx = new KitTrackingContext(home, true);
        JobSpec spec = Samples.spec("acme").toBuilder().name("support-bot-v3")
                .method(TrainingMethod.sftLora(LoraConfig.builder().rank(8).build())).build();
        Job job = running(ctx, "ftjob-one", spec);
        TrackingSink sink = sink(ctx);
        progress(ctx, sink, job, 1, 12);
        sink.onEvent(job, ctx.append(job.id(), JobEvent.TYPE_EVAL, Map.of("step", 12, "metrics",
                Map.of("eval_loss", 1.25))));
        // a retry's second trainer start
        sink.onEvent(job, ctx.append(job.id(), JobEvent.TYPE_NOTE, Map.of("attempt", 2, "runner", "trl",
                "execution", "local:1")));
        end(ctx, sink, job, JobStatus.SUCCEEDED, null);
        awaitTrue("the run ends", () -> fake.runOfJob("ftjob-one").map(r -> r.status.equals("FINISHED"))
                .orElse(false));

        FakeMlflowServer.Run run = fake.runOfJob("ftjob-one").orElseThrow();
        assertThat(run.name).isEqualTo("support-bot-v3");
        assertThat(fake.experiments().get(run.experimentId).name).isEqualTo("training/acme");
        assertThat(run.params).containsEntry("method.lora.rank", "8").containsEntry("method.objective", "sft")
                .containsEntry("hyperparameters.max_steps", "4").containsEntry("tenant", "acme")
                .containsKey("hyperparameters.learning_rate");
        assertThat(run.tags).containsEntry("training.job_id", "ftjob-one").containsEntry("training.tenant", "acme")
                .containsEntry("training.tier", spec.tier().wireName()).containsEntry("training.runner", "trl")
                .containsEntry("training.method", "sft+lora").containsEntry("training.base_model", "/models/tiny")
                .containsEntry("training.spec_sha256", "0".repeat(64))
                .containsEntry("training.dataset.train.sha256", "missing").containsEntry("training.status", "succeeded")
                .containsEntry("training.attempts", "2").containsKey("mlflow.note.content");
        assertThat(run.tags.get("mlflow.note.content")).contains("sft+lora").contains("acme");
        assertThat(run.endTime).isNotNull();
        for (String key : List.of("loss", "learning_rate", "grad_norm", "tokens_per_second", "gpu_memory_gib",
                "rewards/margins")) {
            assertThat(fake.metrics(run.id, key)).as(key).extracting(m -> m.step)
                    .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L);
        }
        List<JobEvent> events = ctx.events(job.id(), 0, 1000).items();
        JobEvent third = events.stream().filter(e -> e.type().equals(JobEvent.TYPE_PROGRESS)).toList().get(2);
        assertThat(fake.metrics(run.id, "loss").get(2).timestamp).isEqualTo(third.time().toEpochMilli());
        assertThat(fake.metrics(run.id, "eval_loss")).singleElement().satisfies(m -> {
            assertThat(m.step).isEqualTo(12);
            assertThat(m.value).isEqualTo(1.25);
        });
        assertThat(ctx.annotations("ftjob-one")).containsEntry("mlflow.run_id", run.id)
                .containsEntry("mlflow.run_url", fake.uri() + "/#/experiments/" + run.experimentId + "/runs/" + run.id);
        assertThat(fake.artifacts().keySet()).anyMatch(k -> k.endsWith(run.id + "/artifacts/datasets.json"));
        assertThat(fake.duplicateMetrics()).isZero();
        awaitTrue("the sink says it is up to date", () -> sink.describe(ctx.job("ftjob-one").orElseThrow())
                .orElse("").endsWith("up to date"));
        assertThat(sink.describe(ctx.job("ftjob-one").orElseThrow())).hasValueSatisfying(line -> assertThat(line)
                .startsWith("MLflow: run " + run.id + " (" + fake.uri() + "/#/experiments/"));
    }

    @Test
    void failedAndCancelledJobs_endTheirRuns_failedWithTheCause_cancelledAsKilled() throws Exception {
        KitTrackingContext ctx = new KitTrackingContext(home, true);
        Job failed = running(ctx, "ftjob-failed", Samples.spec("acme"));
        Job cancelled = running(ctx, "ftjob-cancelled", Samples.spec("acme"));
        TrackingSink sink = sink(ctx);
        progress(ctx, sink, failed, 1, 3);
        progress(ctx, sink, cancelled, 1, 3);
        end(ctx, sink, failed, JobStatus.FAILED, JobFailure.of(FailureCause.OUT_OF_MEMORY, "CUDA out of memory"));
        end(ctx, sink, cancelled, JobStatus.CANCELLED, null);
        awaitTrue("both runs end", () -> fake.runs().stream().filter(r -> !r.status.equals("RUNNING")).count() == 2);
        FakeMlflowServer.Run f = fake.runOfJob("ftjob-failed").orElseThrow();
        assertThat(f.status).isEqualTo("FAILED");
        assertThat(f.tags).containsEntry("training.failure_cause", FailureCause.OUT_OF_MEMORY.wireName())
                .containsEntry("training.failure_message", "CUDA out of memory");
        assertThat(fake.runOfJob("ftjob-cancelled").orElseThrow().status).isEqualTo("KILLED");
    }

    @Test
    void aResumedJob_getsItsOwnRun_taggedWithItsParentJobAndRun() throws Exception {
        KitTrackingContext ctx = new KitTrackingContext(home, true);
        Job parent = running(ctx, "ftjob-parent", Samples.spec("acme"));
        TrackingSink sink = sink(ctx);
        progress(ctx, sink, parent, 1, 2);
        end(ctx, sink, parent, JobStatus.CANCELLED, null);
        awaitTrue("parent run ends", () -> fake.runOfJob("ftjob-parent").map(r -> r.status.equals("KILLED"))
                .orElse(false));
        Instant t = Instant.parse("2026-11-29T11:00:00Z");
        ctx.put(queued("ftjob-child", Samples.spec("acme"), t).resumedFrom("ftjob-parent").build());
        Job child = ctx.move("ftjob-child", JobStatus.RUNNING);
        progress(ctx, sink, child, 3, 4);
        end(ctx, sink, child, JobStatus.SUCCEEDED, null);
        awaitTrue("child run ends", () -> fake.runOfJob("ftjob-child").map(r -> r.status.equals("FINISHED"))
                .orElse(false));
        String parentRun = fake.runOfJob("ftjob-parent").orElseThrow().id;
        FakeMlflowServer.Run c = fake.runOfJob("ftjob-child").orElseThrow();
        assertThat(c.id).isNotEqualTo(parentRun);
        assertThat(c.tags).containsEntry("training.parent_job_id", "ftjob-parent")
                .containsEntry("training.parent_run_id", parentRun).containsEntry("mlflow.parentRunId", parentRun);
    }

    @Test
    void manyEvents_goInBatchesWithinMlflowsLimits_eachMetricOnce() throws Exception {
        KitTrackingContext ctx = new KitTrackingContext(home, true);
        Job job = running(ctx, "ftjob-many", Samples.spec("acme"));
        TrackingSink sink = sink(ctx);
        progress(ctx, sink, job, 1, 2500);
        end(ctx, sink, job, JobStatus.SUCCEEDED, null);
        awaitTrue("the run ends", () -> fake.runOfJob("ftjob-many").map(r -> r.status.equals("FINISHED"))
                .orElse(false));
        String run = fake.runOfJob("ftjob-many").orElseThrow().id;
        assertThat(fake.metrics(run, "loss")).hasSize(2500).extracting(m -> m.step).isSorted();
        assertThat(fake.metrics(run, "rewards/margins")).hasSize(2500);
        assertThat(fake.duplicateMetrics()).isZero();
        // 2,500 events x 6 metrics = 15,000 metrics: at least 15 batches of at most 1,000, and not one per event.
        assertThat(fake.requests()).isLessThan(200);
    }

    @Test
    void anOutageMidRun_503ThenTooManyRequestsThenAnswersTooLate_losesAndRepeatsNothing() throws Exception {
        KitTrackingContext ctx = new KitTrackingContext(home, true);
        Job job = running(ctx, "ftjob-faults", Samples.spec("acme"));
        TrackingSink sink = sink(ctx);
        progress(ctx, sink, job, 1, 50);
        awaitLosses("ftjob-faults", 50);
        fake.hangMillis = 1500;
        List<FakeMlflowServer.Fault> schedule = List.of(FakeMlflowServer.Fault.UNAVAILABLE,
                FakeMlflowServer.Fault.UNAVAILABLE, FakeMlflowServer.Fault.TOO_MANY, FakeMlflowServer.Fault.HANG,
                FakeMlflowServer.Fault.HANG);
        java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
        fake.faults((m, p) -> p.endsWith("/log-batch") || p.endsWith("/runs/get")
                ? (n.get() < schedule.size() ? schedule.get(n.getAndIncrement()) : null) : null);
        long start = System.nanoTime();
        for (int step = 51; step <= 400; step += 10) {
            progress(ctx, sink, job, step, step + 9);
            Thread.sleep(30);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("handing 350 events to the sink during the outage")
                .isLessThan(Duration.ofSeconds(5));
        end(ctx, sink, job, JobStatus.SUCCEEDED, null);
        awaitTrue("the run ends", () -> fake.runOfJob("ftjob-faults").map(r -> r.status.equals("FINISHED"))
                .orElse(false));
        assertThat(n.get()).as("every planned fault happened").isEqualTo(schedule.size());
        String run = fake.runOfJob("ftjob-faults").orElseThrow().id;
        List<Long> steps = fake.metrics(run, "loss").stream().map(m -> m.step).toList();
        assertThat(steps).hasSize(400).isSorted().doesNotHaveDuplicates();
        assertThat(fake.duplicateMetrics()).as("metric points the server received twice").isZero();
    }

    /** A short-lived process (the quickstart) closes its sink right after its jobs end, while MLflow fails twice. */
    @Test
    void closingRightAfterTheJobsEnd_sendsTheirRunsToTheEnd_throughFailures_withinTheCloseWait() throws Exception {
        KitTrackingContext ctx = new KitTrackingContext(home, true);
        Job one = running(ctx, "ftjob-quick-1", Samples.spec("acme"));
        Job two = running(ctx, "ftjob-quick-2", Samples.spec("acme"));
        TrackingSink sink = sink(ctx);
        progress(ctx, sink, one, 1, 5);
        progress(ctx, sink, two, 1, 5);
        java.util.concurrent.atomic.AtomicInteger failures = new java.util.concurrent.atomic.AtomicInteger(2);
        fake.faults((m, p) -> failures.getAndDecrement() > 0 ? FakeMlflowServer.Fault.UNAVAILABLE : null);
        end(ctx, sink, one, JobStatus.SUCCEEDED, null);
        end(ctx, sink, two, JobStatus.SUCCEEDED, null);
        sink.close();
        assertThat(fake.runs()).extracting(r -> r.status).as("both runs, ended, when close returned")
                .containsExactly("FINISHED", "FINISHED");
    }

    /**
     * One request of the closing sequence of a failed job (the last events' batch, the failure tags, the run's
     * status; this context keeps no events file) fails once, refused or with its answer lost: the run is closed all
     * the same. Before, a failure of the second or third left the run RUNNING for good.
     */
    @ParameterizedTest
    @CsvSource({"0,UNAVAILABLE", "1,UNAVAILABLE", "2,UNAVAILABLE", "0,HANG", "1,HANG", "2,HANG"})
    void aClosingRequestThatFails_isTriedAgain_untilTheRunIsClosed(int failing, FakeMlflowServer.Fault fault)
            throws Exception {
        KitTrackingContext ctx = new KitTrackingContext(home, true);
        Job job = running(ctx, "ftjob-close", Samples.spec("acme"));
        TrackingSink sink = sink(ctx);
        progress(ctx, sink, job, 1, 5);
        awaitTrue("the progress is sent", () -> fake.runOfJob("ftjob-close").map(r -> fake.metrics(r.id, "loss")
                .size() == 5).orElse(false));
        Thread.sleep(200); // the sender is idle: what it sends next is the closing sequence
        java.util.concurrent.atomic.AtomicInteger seen = new java.util.concurrent.atomic.AtomicInteger();
        fake.faults((m, p) -> m.equals("GET") ? null : seen.getAndIncrement() == failing ? fault : null);
        end(ctx, sink, job, JobStatus.FAILED, JobFailure.of(FailureCause.KILLED, "killed"));
        awaitTrue("the run is closed", () -> fake.runOfJob("ftjob-close").map(r -> r.status.equals("FAILED"))
                .orElse(false));
        assertThat(seen.get()).as("requests of the closing sequence, the failed one included").isGreaterThan(failing);
        FakeMlflowServer.Run run = fake.runOfJob("ftjob-close").orElseThrow();
        assertThat(run.tags).containsEntry("training.failure_cause", "killed");
        awaitTrue("the sink says so", () -> sink.describe(ctx.job("ftjob-close").orElseThrow()).orElse("")
                .contains("run ended, up to date"));
    }

    @Test
    void aSinkStoppedWithWorkLeft_isCaughtUpByTheNextOne_fromTheDurableState() throws Exception {
        KitTrackingContext ctx = new KitTrackingContext(home, true);
        Job job = running(ctx, "ftjob-restart", Samples.spec("acme"));
        TrackingSink first = sink(ctx);
        progress(ctx, first, job, 1, 20);
        awaitLosses("ftjob-restart", 20);
        fake.faults((m, p) -> FakeMlflowServer.Fault.UNAVAILABLE);
        progress(ctx, first, job, 21, 60);
        first.close();
        fake.healthy();
        // A new process: it sees nothing of the old one's memory, only the state and the stored events.
        TrackingSink second = sink(ctx);
        Job done = ctx.move(job.id(), JobStatus.SUCCEEDED);
        second.onEvent(done, ctx.events(job.id(), 0, 1000).items().get(ctx.events(job.id(), 0, 1000).items().size() - 1));
        awaitTrue("the run ends", () -> fake.runOfJob("ftjob-restart").map(r -> r.status.equals("FINISHED"))
                .orElse(false));
        String run = fake.runOfJob("ftjob-restart").orElseThrow().id;
        assertThat(fake.runs()).hasSize(1);
        assertThat(fake.metrics(run, "loss")).extracting(m -> m.step).hasSize(60).isSorted().doesNotHaveDuplicates();
        assertThat(fake.duplicateMetrics()).isZero();
    }

    @Test
    void theStateAnOlderVersionLeft_isTakenOver_itsCursorKept_andAGivenUpRunStaysGivenUp() throws Exception {
        KitTrackingContext ctx = new KitTrackingContext(home, true);
        Job job = running(ctx, "ftjob-legacy", Samples.spec("acme"));
        TrackingSink first = sink(ctx);
        progress(ctx, first, job, 1, 20);
        awaitLosses("ftjob-legacy", 20);
        first.close();
        Job gone = running(ctx, "ftjob-gone", Samples.spec("acme"));
        // What the version before the stream cursor kept: the run's state held how far its events went.
        String run = ctx.state().get("run/ftjob-legacy").orElseThrow();
        long acked = JobEventStream.Position.START.acked();
        for (String part : ctx.state().get(JobEventStream.KEY + "ftjob-legacy").orElseThrow().split(" ")) {
            if (part.startsWith("acked=")) {
                acked = Long.parseLong(part.substring(6));
            }
        }
        ctx.state().put("run/ftjob-legacy", run.replace("}", ",\"acked_seq\":" + acked
                + ",\"verify\":false,\"ended\":null}"));
        ctx.state().put("run/ftjob-gone", "{\"run_id\":\"r-deleted\",\"experiment_id\":\"0\",\"artifact_uri\":"
                + "\"x\",\"acked_seq\":0,\"setup\":true,\"verify\":false,\"ended\":\"abandoned\"}");
        ctx.state().delete(JobEventStream.KEY + "ftjob-legacy");
        ctx.state().delete(JobEventStream.KEY + "ftjob-gone");

        TrackingSink second = sink(ctx);
        progress(ctx, second, gone, 1, 5);
        progress(ctx, second, job, 21, 40);
        end(ctx, second, job, JobStatus.SUCCEEDED, null);
        awaitTrue("the run ends", () -> fake.runOfJob("ftjob-legacy").map(r -> r.status.equals("FINISHED"))
                .orElse(false));
        assertThat(fake.metrics(fake.runOfJob("ftjob-legacy").orElseThrow().id, "loss")).extracting(m -> m.step)
                .hasSize(40).doesNotHaveDuplicates();
        assertThat(fake.runOfJob("ftjob-gone")).as("a run MLflow refused is not made again").isEmpty();
        assertThat(second.describe(ctx.job("ftjob-gone").orElseThrow()).orElseThrow()).contains("tracking stopped");
        assertThat(ctx.state().get("run/ftjob-legacy").orElseThrow()).doesNotContain("acked_seq");
    }

    @Test
    void aProcessThatDoesNotRunJobs_sendsNothing() throws Exception {
        KitTrackingContext ctx = new KitTrackingContext(home, false);
        Job job = running(ctx, "ftjob-client", Samples.spec("acme"));
        TrackingSink sink = sink(ctx);
        progress(ctx, sink, job, 1, 5);
        sink.close();
        assertThat(fake.requests()).isZero();
    }

    @Test
    void twoProcessesMakingTheSameExperimentAtOnce_bothGetIt() throws Exception {
        MlflowSettings settings = MlflowSettings.from(new PluginConfig(home, Map.of("training.mlflow.uri", fake.uri())),
                Map.of()).orElseThrow();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<String>> ids = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            MlflowClient client = new MlflowClient(settings);
            ids.add(pool.submit(() -> {
                go.await();
                return client.ensureExperiment("training/race", Map.of());
            }));
        }
        go.countDown();
        Set<String> got = ConcurrentHashMap.newKeySet();
        for (Future<String> f : ids) {
            got.add(f.get());
        }
        pool.shutdown();
        assertThat(got).hasSize(1);
        assertThat(fake.experiments()).hasSize(1);
    }

    @Test
    void aRefusedHost_is403_notRetried_andSaysWhatToChange() throws Exception {
        fake.allowHosts("mlflow.internal");
        MlflowClient client = new MlflowClient(MlflowSettings.from(new PluginConfig(home,
                Map.of("training.mlflow.uri", fake.uri())), Map.of()).orElseThrow());
        assertThatThrownBy(() -> client.ensureExperiment("training/x", Map.of()))
                .isInstanceOfSatisfying(MlflowException.class, e -> {
                    assertThat(e.status()).isEqualTo(403);
                    assertThat(e.retryable()).isFalse();
                    assertThat(e.denied()).isTrue();
                });
        assertThat(fake.requests()).isEqualTo(1);
    }

    @Test
    void aBadRequest_isNotRetried_butServerErrorsAndTooManyRequestsAre() {
        MlflowClient client = new MlflowClient(MlflowSettings.from(new PluginConfig(home,
                Map.of("training.mlflow.uri", fake.uri())), Map.of()).orElseThrow());
        assertThatThrownBy(() -> client.logBatch("no-such-run", List.of(), Map.of(), Map.of()))
                .isInstanceOfSatisfying(MlflowException.class, e -> assertThat(e.retryable()).isFalse());
        fake.faults((m, p) -> FakeMlflowServer.Fault.TOO_MANY);
        assertThatThrownBy(() -> client.experimentId("x")).isInstanceOfSatisfying(MlflowException.class, e -> {
            assertThat(e.retryable()).isTrue();
            assertThat(e.retryAfter()).contains(Duration.ofSeconds(1));
        });
        fake.faults((m, p) -> FakeMlflowServer.Fault.UNAVAILABLE);
        assertThatThrownBy(() -> client.experimentId("x")).isInstanceOfSatisfying(MlflowException.class,
                e -> assertThat(e.retryable()).isTrue());
    }

    @Test
    void settings_followMlflowsEnvironment_andRefuseWhatIsWrong() {
        PluginConfig on = new PluginConfig(home, Map.of("training.mlflow.uri", "https://mlflow.internal:5000/"));
        assertThat(MlflowSettings.from(new PluginConfig(home, Map.of()), Map.of())).isEmpty();
        assertThat(MlflowTrackingSinkProvider.create(new PluginConfig(home, Map.of()), Map.of()).toString())
                .contains("off");
        MlflowSettings s = MlflowSettings.from(on, Map.of("MLFLOW_TRACKING_TOKEN", "t0k")).orElseThrow();
        assertThat(s.uri()).isEqualTo("https://mlflow.internal:5000");
        assertThat(s.authorization()).contains("Bearer t0k");
        assertThat(MlflowSettings.from(on, Map.of("MLFLOW_TRACKING_USERNAME", "alice", "MLFLOW_TRACKING_PASSWORD",
                "pw")).orElseThrow().authorization()).contains("Basic " + java.util.Base64.getEncoder()
                        .encodeToString("alice:pw".getBytes(StandardCharsets.UTF_8)));
        assertThat(MlflowSettings.from(on, Map.of("MLFLOW_TRACKING_INSECURE_TLS", "true")).orElseThrow().sslContext())
                .isPresent();
        assertThatThrownBy(() -> MlflowSettings.from(on, Map.of("MLFLOW_TRACKING_USERNAME", "alice")))
                .hasMessageContaining("MLFLOW_TRACKING_PASSWORD");
        assertThatThrownBy(() -> MlflowSettings.from(new PluginConfig(home, Map.of("training.mlflow.uri",
                "mlflow.internal:5000")), Map.of())).hasMessageContaining("training.mlflow.uri");
        assertThatThrownBy(() -> MlflowSettings.from(new PluginConfig(home, Map.of("training.mlflow.uri",
                "http://x", "training.mlflow.timeout-ms", "-1")), Map.of()))
                .hasMessageContaining("training.mlflow.timeout-ms");
        assertThatThrownBy(() -> MlflowSettings.from(on, Map.of("MLFLOW_TRACKING_SERVER_CERT_PATH",
                home.resolve("none.pem").toString()))).hasMessageContaining("MLFLOW_TRACKING_SERVER_CERT_PATH");
    }

    @Test
    void keysAndValues_keepToMlflowsRules() {
        assertThat(RunContent.key("bad key!")).isEqualTo("bad key_");
        assertThat(RunContent.key("../../etc/passwd")).isEqualTo("etc/passwd");
        assertThat(RunContent.key("/a//b/")).isEqualTo("a/b");
        assertThat(RunContent.key("é".repeat(300))).hasSize(250).matches("_+");
        JobSpec spec = Samples.spec("acme", TrainingMethod.sftLora(), "/data/" + "d".repeat(700) + ".jsonl");
        Map<String, String> params = RunContent.params(spec, 500);
        assertThat(params.get("training_data.path")).hasSize(500).endsWith("...");
        assertThat(RunContent.params(spec, 10).get("base_model")).isEqualTo("/models...");
    }

    @Test
    void aLongParam_isCutToTheServersLimit_andAccepted() throws Exception {
        fake.maxParamLength = 500;
        KitTrackingContext ctx = new KitTrackingContext(home, true);
        JobSpec spec = Samples.spec("acme", TrainingMethod.sftLora(), "/data/" + "d".repeat(1000) + ".jsonl");
        Job job = running(ctx, "ftjob-long", spec);
        TrackingSink sink = sink(ctx, "training.mlflow.max-param-length", "500");
        end(ctx, sink, job, JobStatus.SUCCEEDED, null);
        awaitTrue("the run ends", () -> fake.runOfJob("ftjob-long").map(r -> r.status.equals("FINISHED"))
                .orElse(false));
        assertThat(fake.runOfJob("ftjob-long").orElseThrow().params.get("training_data.path")).hasSize(500);
    }
}
