package dev.koder.training.core;

import static dev.koder.training.core.Fixtures.events;
import static dev.koder.training.core.Fixtures.waitFor;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.koder.training.api.CheckpointPolicy;
import dev.koder.training.api.EventLevel;
import dev.koder.training.api.FailureCause;
import dev.koder.training.api.IllegalJobStateException;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobNotFoundException;
import dev.koder.training.api.JobQuery;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Resources;
import dev.koder.training.api.UnsupportedFeatureException;
import dev.koder.training.spi.UsageRecord;
import dev.koder.training.tck.ScriptedRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole way of a job, with a real trainer process (fake_trainer.py) and the embedded store. */
class TrainingLifecycleTest {

    static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    Fixtures fx;
    Training training;
    final List<JobEvent> heard = new CopyOnWriteArrayList<>();
    final List<UsageRecord> usage = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() {
        fx = new Fixtures(dir);
        training = service().build();
        training.jobs().addListener((job, e) -> heard.add(e));
    }

    Training.Builder service() {
        return Training.builder().home(dir.resolve("home")).runner(new ScriptedRunner())
                .pollInterval(Duration.ofMillis(50)).cancelGracePeriod(Duration.ofSeconds(3))
                .shutdownGracePeriod(Duration.ofSeconds(10)).usageSink(usage::add)
                .retryPolicy(new RetryPolicy(2, Duration.ofMillis(300), RetryPolicy.DEFAULT.transientCauses()));
    }

    @AfterEach
    void stop() {
        training.close();
    }

    static List<String> statuses(List<JobEvent> events) {
        return events.stream().filter(e -> e.type().equals(JobEvent.TYPE_STATUS))
                .map(e -> String.valueOf(e.data().get("to"))).collect(Collectors.toList());
    }

    @Test
    void aJob_goesValidatingQueuedRunningSucceeded_andRecordsEveryTrainerEvent() throws Exception {
        Job submitted = training.jobs().submit(fx.spec(6, Map.of("eval", "true")).build());
        assertThat(submitted.status()).as("validated, estimated and queued in the submitting thread")
                .isIn(JobStatus.QUEUED, JobStatus.RUNNING);
        assertThat(submitted.id()).startsWith("ftjob-");

        Job done = training.jobs().await(submitted.id(), WAIT);

        assertThat(done.status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(done.output()).isEqualTo(training.home().resolve("jobs").resolve(done.id()).resolve("output/final")
                .toString());
        assertThat(done.progress().step()).isEqualTo(6);
        assertThat(done.progress().loss()).isLessThan(3.0);
        assertThat(done.progress().evalMetrics()).containsKey("eval_loss");
        assertThat(done.startedAt()).isNotNull();
        assertThat(done.finishedAt()).isAfterOrEqualTo(done.startedAt());
        assertThat(done.attempt()).isEqualTo(1);
        List<JobEvent> events = events(training.jobs(), done.id());
        assertThat(statuses(events)).containsExactly("validating", "queued", "running", "succeeded");
        assertThat(events).extracting(JobEvent::seq).isSorted().doesNotHaveDuplicates();
        assertThat(events.stream().filter(e -> e.type().equals(JobEvent.TYPE_PROGRESS))).hasSize(6);
        assertThat(events).anySatisfy(e -> assertThat(e.type()).isEqualTo(JobEvent.TYPE_EVAL));
        assertThat(events).anySatisfy(e -> assertThat(e.message()).contains("8 examples"));
        waitFor(training.jobs(), done.id(), j -> heard.size() >= events.size(), WAIT);
        assertThat(heard).extracting(JobEvent::seq).containsSubsequence(1L, (long) events.size());
        waitFor(training.jobs(), done.id(), j -> !usage.isEmpty(), WAIT);
        assertThat(usage).singleElement().satisfies(u -> {
            assertThat(u.tenant()).isEqualTo("acme");
            assertThat(u.gpuType()).isEqualTo("cpu");
            assertThat(u.tokens()).isEqualTo(6 * 64);
            assertThat(u.outcome()).isEqualTo(JobStatus.SUCCEEDED);
        });
    }

    @Test
    void badDataset_failsValidation_beforeAnyProcessStarts_withLineNumbers() throws Exception {
        Files.writeString(fx.data, Fixtures.CHAT + "{\"messages\":[{\"role\":\"bot\",\"content\":\"x\"}]}\n");
        Job job = training.jobs().await(training.jobs().submit(fx.spec(3)).id(), WAIT);
        assertThat(job.status()).isEqualTo(JobStatus.FAILED);
        assertThat(job.failure().cause()).isEqualTo(FailureCause.INVALID_DATASET);
        assertThat(job.failure().message()).contains(fx.data + ":2: error: /messages/0/role: unknown role \"bot\"");
        assertThat(job.startedAt()).isNull();
        assertThat(training.home().resolve("jobs").resolve(job.id())).doesNotExist();
        assertThat(events(training.jobs(), job.id())).anySatisfy(e -> {
            assertThat(e.type()).isEqualTo(JobEvent.TYPE_VALIDATION);
            assertThat(e.level()).isEqualTo(EventLevel.ERROR);
            assertThat(e.data()).containsEntry("line", 2);
        });
    }

    @Test
    void missingModelFolder_failsValidation() throws Exception {
        Job job = training.jobs().await(training.jobs().submit(fx.spec(3, Map.of()).baseModel(dir.resolve("nope")
                .toString()).build()).id(), WAIT);
        assertThat(job.failure().cause()).isEqualTo(FailureCause.INVALID_MODEL);
        assertThat(job.failure().message()).contains("/base_model: folder " + dir.resolve("nope") + " does not exist");
    }

    @Test
    void aRunnerThatRefusesTheSpec_failsTheSubmit_andStoresNothing() {
        assertThatThrownBy(() -> training.jobs().submit(fx.spec(3, Map.of("refuse", "true")).build()))
                .isInstanceOf(UnsupportedFeatureException.class)
                .hasMessageContaining("Runner 'script' cannot run this job")
                .hasMessageContaining("/metadata/fake.refuse: runner 'script' refuses this spec on request");
        assertThat(training.jobs().list(JobQuery.all()).items()).isEmpty();
    }

    @Test
    void cancelWhileRunning_stopsTheTrainerWithSigterm_andKeepsAResumableCheckpoint() throws Exception {
        Job job = training.jobs().submit(fx.spec(400, Map.of("step_seconds", "0.05")).build());
        waitFor(training.jobs(), job.id(), j -> j.progress().step() != null && j.progress().step() >= 3, WAIT);

        Job asked = training.jobs().cancel(job.id());
        assertThat(asked.cancelRequested()).isTrue();
        Job done = training.jobs().await(job.id(), WAIT);

        assertThat(done.status()).isEqualTo(JobStatus.CANCELLED);
        assertThat(done.cancelRequested()).isFalse();
        assertThat(done.lastCheckpoint()).isNotNull();
        Path checkpoint = Path.of(done.lastCheckpoint());
        assertThat(checkpoint.resolve("state.json")).exists();
        assertThat(Files.readString(checkpoint.resolve("state.json"))).contains("\"step\": " + done.progress().step());
        assertThat(statuses(events(training.jobs(), job.id()))).endsWith("running", "cancelled");
        assertThat(events(training.jobs(), job.id())).anySatisfy(e -> assertThat(e.message())
                .startsWith("cancellation requested: SIGTERM sent"));
        assertThat(training.jobs().cancel(job.id()).status()).isEqualTo(JobStatus.CANCELLED);
    }

    @Test
    void resume_ofACancelledJob_startsANewJobThatContinuesFromItsCheckpoint() throws Exception {
        Job first = training.jobs().submit(fx.spec(60, Map.of("step_seconds", "0.05")).build());
        waitFor(training.jobs(), first.id(), j -> j.progress().step() != null && j.progress().step() >= 4, WAIT);
        training.jobs().cancel(first.id());
        Job cancelled = training.jobs().await(first.id(), WAIT);
        long stoppedAt = cancelled.progress().step();

        Job resumed = training.jobs().resume(first.id());
        assertThat(resumed.id()).isNotEqualTo(first.id());
        assertThat(resumed.resumedFrom()).isEqualTo(first.id());
        Job done = training.jobs().await(resumed.id(), WAIT);
        assertThat(done.status()).isEqualTo(JobStatus.SUCCEEDED);
        List<Long> steps = events(training.jobs(), done.id()).stream()
                .filter(e -> e.type().equals(JobEvent.TYPE_PROGRESS))
                .map(e -> ((Number) e.data().get("step")).longValue()).toList();
        assertThat(steps.get(0)).isEqualTo(stoppedAt + 1);
        assertThat(steps.get(steps.size() - 1)).isEqualTo(60L);
        assertThat(events(training.jobs(), done.id()).get(0).message()).contains("resumes job " + first.id());

        assertThatThrownBy(() -> training.jobs().resume(done.id())).isInstanceOf(IllegalJobStateException.class)
                .hasMessageContaining("only a paused, cancelled or failed job can be resumed");
        Job blocker = training.jobs().submit(fx.spec(4000, Map.of("step_seconds", "0.05")).build());
        waitFor(training.jobs(), blocker.id(), j -> j.status() == JobStatus.RUNNING, WAIT);
        Job neverStarted = training.jobs().submit(fx.spec(3));
        assertThat(neverStarted.status()).isEqualTo(JobStatus.QUEUED);
        training.jobs().cancel(neverStarted.id());
        training.jobs().cancel(blocker.id());
        assertThat(training.jobs().get(neverStarted.id()).lastCheckpoint()).isNull();
        assertThatThrownBy(() -> training.jobs().resume(neverStarted.id()))
                .isInstanceOf(IllegalJobStateException.class).hasMessageContaining("left no checkpoint to resume from");
    }

    @Test
    void pause_stopsWithACheckpoint_andResumeGoesOnUnderTheSameId() throws Exception {
        Job job = training.jobs().submit(fx.spec(60, Map.of("step_seconds", "0.05")).build());
        waitFor(training.jobs(), job.id(), j -> j.progress().step() != null && j.progress().step() >= 4, WAIT);

        Job asked = training.jobs().pause(job.id());
        assertThat(asked.pauseRequested()).isTrue();
        assertThat(asked.status()).isEqualTo(JobStatus.RUNNING);
        assertThat(training.jobs().pause(job.id()).pauseRequested()).isTrue();
        Job paused = waitFor(training.jobs(), job.id(), j -> j.status() == JobStatus.PAUSED, WAIT);
        assertThat(paused.pauseRequested()).isFalse();
        assertThat(paused.finishedAt()).isNull();
        assertThat(paused.lastCheckpoint()).isNotNull();
        long stoppedAt = paused.progress().step();
        assertThat(Files.readString(Path.of(paused.lastCheckpoint()).resolve("state.json")))
                .contains("\"step\": " + stoppedAt);
        assertThat(training.jobs().pause(job.id()).status()).isEqualTo(JobStatus.PAUSED);

        Job resumed = training.jobs().resume(job.id());
        assertThat(resumed.id()).isEqualTo(job.id());
        assertThat(resumed.status()).isEqualTo(JobStatus.QUEUED);
        Job done = training.jobs().await(job.id(), WAIT);
        assertThat(done.status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(done.attempt()).isEqualTo(2);
        List<JobEvent> events = events(training.jobs(), job.id());
        assertThat(statuses(events)).containsSubsequence("running", "paused", "queued", "running", "succeeded");
        List<Long> steps = events.stream().filter(e -> e.type().equals(JobEvent.TYPE_PROGRESS))
                .map(e -> ((Number) e.data().get("step")).longValue()).toList();
        int resumedAt = steps.indexOf(stoppedAt) + 1;
        assertThat(steps.get(resumedAt)).isEqualTo(stoppedAt + 1);
        assertThat(steps.get(steps.size() - 1)).isEqualTo(60L);
        assertThat(events).anySatisfy(e -> assertThat(e.message()).startsWith("pause requested: SIGTERM sent"));
        assertThat(events).anySatisfy(e -> assertThat(e.message())
                .isEqualTo("resumed: queued again; it goes on from its checkpoint at step " + stoppedAt));
        assertThatThrownBy(() -> training.jobs().pause(job.id())).isInstanceOf(IllegalJobStateException.class)
                .hasMessage("Job " + job.id() + " already succeeded; there is nothing to pause.");
    }

    /** Kills the job's trainer from outside (as the host's OOM killer or an operator would), once it is past a step. */
    void killTrainer(String id, long pastStep) throws Exception {
        Job running = waitFor(training.jobs(), id, j -> j.status() == JobStatus.RUNNING && j.progress().step() != null
                && j.progress().step() >= pastStep, WAIT);
        // the attempt's number is stored before its trainer starts: wait for that attempt's trainer
        long deadline = System.nanoTime() + WAIT.toNanos();
        Optional<ProcessHandle> trainer = Optional.empty();
        while (trainer.isEmpty() && System.nanoTime() < deadline) {
            trainer = events(training.jobs(), id).stream().filter(e -> e.data().get("execution") != null
                    && Integer.valueOf(running.attempt()).equals(e.data().get("attempt"))).reduce((a, b) -> b)
                    .flatMap(e -> ProcessHandle.of(Long.parseLong(e.data().get("execution").toString().split(":")[1])))
                    .filter(ProcessHandle::isAlive);
            if (trainer.isEmpty()) {
                Thread.sleep(20);
            }
        }
        trainer.orElseThrow(() -> new AssertionError("attempt " + running.attempt() + " of " + id + " has no "
                + "running trainer")).destroyForcibly();
        assertThat(running.attempt()).isPositive();
    }

    @Test
    void aTrainerKilledFromOutside_isRetriedFromItsLastCheckpoint_andSucceeds() throws Exception {
        // 5,000 steps, a checkpoint every 400; killed past step 400
        Job job = training.jobs().submit(fx.spec(5000, Map.of("step_seconds", "0.002"))
                .checkpoints(CheckpointPolicy.everySteps(400, 3)).build());
        killTrainer(job.id(), 410);
        Job done = training.jobs().await(job.id(), WAIT);

        assertThat(done.status()).as(events(training.jobs(), job.id()).toString()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(done.attempt()).isEqualTo(2);
        assertThat(done.retries()).isEqualTo(1);
        assertThat(done.notBefore()).isNull();
        List<JobEvent> events = events(training.jobs(), job.id());
        assertThat(statuses(events)).containsSubsequence("running", "queued", "running", "succeeded");
        JobEvent retry = events.stream().filter(e -> e.message().startsWith("attempt 1 failed (killed)"))
                .findFirst().orElseThrow();
        assertThat(retry.level()).isEqualTo(dev.koder.training.api.EventLevel.WARN);
        Matcher at = Pattern.compile("retry 1 of 2 in 0.3 s, from its checkpoint at step (\\d+)$").matcher(retry.message());
        assertThat(at.find()).as(retry.message()).isTrue();
        long from = Long.parseLong(at.group(1));
        assertThat(from % 400).isZero();
        assertThat(from).isGreaterThanOrEqualTo(400);
        // the second attempt goes on from that checkpoint: its first step is the next one
        List<Long> steps = events.stream().filter(e -> e.type().equals(JobEvent.TYPE_PROGRESS))
                .map(e -> ((Number) e.data().get("step")).longValue()).toList();
        int second = events.indexOf(retry);
        long firstAfter = events.subList(second, events.size()).stream()
                .filter(e -> e.type().equals(JobEvent.TYPE_PROGRESS)).map(e -> ((Number) e.data().get("step"))
                        .longValue()).findFirst().orElseThrow();
        assertThat(firstAfter).isEqualTo(from + 1);
        assertThat(steps.get(steps.size() - 1)).isEqualTo(5000L);
    }

    @Test
    void retriesStopAtTheJobsLimit_andTheJobFailsSayingHowManyThereWere() throws Exception {
        Job job = training.jobs().submit(fx.spec(400, Map.of("step_seconds", "0.05"))
                .resources(Resources.builder().gpus(0).maxRetries(1).build()).build());
        killTrainer(job.id(), 3);
        waitFor(training.jobs(), job.id(), j -> j.attempt() == 2 && j.status() == JobStatus.RUNNING, WAIT);
        killTrainer(job.id(), 1);
        Job failed = training.jobs().await(job.id(), WAIT);
        assertThat(failed.status()).isEqualTo(JobStatus.FAILED);
        assertThat(failed.failure().cause()).isEqualTo(FailureCause.KILLED);
        assertThat(failed.retries()).isEqualTo(1);
        assertThat(events(training.jobs(), job.id())).anySatisfy(e -> assertThat(e.message())
                .startsWith("failed (killed) (after 1 retry): "));
        // a cause that is not transient is never retried
        Job bad = training.jobs().await(training.jobs().submit(fx.spec(10, Map.of("fail_at_step", "2",
                "error_kind", "dataset")).build()).id(), WAIT);
        assertThat(bad.status()).isEqualTo(JobStatus.FAILED);
        assertThat(bad.attempt()).isEqualTo(1);
        assertThat(bad.retries()).isZero();
    }

    @Test
    void aQueuedJobPauses_atOnce_andAPausedJobCanBeCancelled() throws Exception {
        Job blocker = training.jobs().submit(fx.spec(4000, Map.of("step_seconds", "0.05")).build());
        waitFor(training.jobs(), blocker.id(), j -> j.status() == JobStatus.RUNNING, WAIT);
        Job waiting = training.jobs().submit(fx.spec(3));
        assertThat(waiting.status()).isEqualTo(JobStatus.QUEUED);

        assertThat(training.jobs().pause(waiting.id()).status()).isEqualTo(JobStatus.PAUSED);
        training.jobs().cancel(blocker.id());
        assertThat(training.jobs().await(blocker.id(), WAIT).status()).isEqualTo(JobStatus.CANCELLED);
        // the pool is free now, and the paused job stays put
        Thread.sleep(500);
        assertThat(training.jobs().get(waiting.id()).status()).isEqualTo(JobStatus.PAUSED);

        Job cancelled = training.jobs().cancel(waiting.id());
        assertThat(cancelled.status()).isEqualTo(JobStatus.CANCELLED);
        assertThat(statuses(events(training.jobs(), waiting.id()))).endsWith("queued", "paused", "cancelled");
        assertThatThrownBy(() -> training.jobs().resume(waiting.id())).isInstanceOf(IllegalJobStateException.class)
                .hasMessageContaining("left no checkpoint to resume from");
    }

    @Test
    void cancelOfAQueuedJob_isImmediate_andAFinishedJobCannotBeCancelled() throws Exception {
        Job first = training.jobs().submit(fx.spec(400, Map.of("step_seconds", "0.05")).build());
        Job second = training.jobs().submit(fx.spec(3));
        waitFor(training.jobs(), second.id(), j -> j.status() == JobStatus.QUEUED, WAIT);
        assertThat(training.jobs().cancel(second.id()).status()).isEqualTo(JobStatus.CANCELLED);
        training.jobs().cancel(first.id());
        assertThat(training.jobs().await(first.id(), WAIT).status()).isEqualTo(JobStatus.CANCELLED);

        Job third = training.jobs().await(training.jobs().submit(fx.spec(2)).id(), WAIT);
        assertThat(third.status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThatThrownBy(() -> training.jobs().cancel(third.id())).isInstanceOf(IllegalJobStateException.class)
                .hasMessage("Job " + third.id() + " already succeeded; there is nothing to cancel.");
    }

    @Test
    void aTrainerThatIgnoresSigterm_isKilledAfterTheGracePeriod() throws Exception {
        Job job = training.jobs().submit(fx.spec(4000, Map.of("ignore_sigterm", "true", "step_seconds", "0.05"))
                .build());
        waitFor(training.jobs(), job.id(), j -> j.progress().step() != null, WAIT);
        long asked = System.nanoTime();
        training.jobs().cancel(job.id());
        Job done = training.jobs().await(job.id(), WAIT);
        assertThat(done.status()).isEqualTo(JobStatus.CANCELLED);
        assertThat(Duration.ofNanos(System.nanoTime() - asked)).isGreaterThanOrEqualTo(Duration.ofSeconds(3));
        assertThat(events(training.jobs(), job.id())).anySatisfy(e -> assertThat(e.message())
                .startsWith("the trainer did not stop within the grace period; killed"));
    }

    @Test
    void aSecondCancel_killsTheTrainerAtOnce() throws Exception {
        Job job = training.jobs().submit(fx.spec(4000, Map.of("ignore_sigterm", "true", "step_seconds", "0.05"))
                .build());
        waitFor(training.jobs(), job.id(), j -> j.progress().step() != null, WAIT);
        training.jobs().cancel(job.id());
        long asked = System.nanoTime();
        training.jobs().cancel(job.id());
        assertThat(training.jobs().await(job.id(), WAIT).status()).isEqualTo(JobStatus.CANCELLED);
        assertThat(Duration.ofNanos(System.nanoTime() - asked)).isLessThan(Duration.ofSeconds(3));
    }

    @Test
    void cancel_leavesNoProcessBehind_includingTheTrainersChildren() throws Exception {
        Job job = training.jobs().submit(fx.spec(400, Map.of("spawn_child", "true")).build());
        waitFor(training.jobs(), job.id(), j -> j.progress().step() != null, WAIT);
        long child = Long.parseLong(Files.readString(training.home().resolve("jobs").resolve(job.id())
                .resolve("child.pid")).trim());
        assertThat(Fixtures.gone(child)).isFalse();
        training.jobs().cancel(job.id());
        training.jobs().await(job.id(), WAIT);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!Fixtures.gone(child) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(Fixtures.gone(child)).as("the trainer's child process is gone").isTrue();
    }

    @Test
    void aTrainerThatReportsAnError_failsWithItsCause_andTheStderrTail() throws Exception {
        Job job = training.jobs().await(training.jobs().submit(fx.spec(10, Map.of("fail_at_step", "2",
                "error_kind", "out_of_memory")).build()).id(), WAIT);
        assertThat(job.status()).isEqualTo(JobStatus.FAILED);
        assertThat(job.failure().cause()).as(job.failure().toString()).isEqualTo(FailureCause.OUT_OF_MEMORY);
        assertThat(job.failure().message()).isEqualTo("simulated out_of_memory at step 2; micro_batch_size is 4: "
                + "lower it (auto has the service halve it once after running out of memory), or max_seq_length 64, or "
                + "turn on gradient_checkpointing");
        assertThat(job.failure().logTail()).contains("RuntimeError: simulated failure at step 2");
    }

    @Test
    void aTrainerThatCrashesSilently_failsWithItsExitCode_andLastStderrLine() throws Exception {
        Job job = training.jobs().await(training.jobs().submit(fx.spec(10, Map.of("fail_at_step", "2",
                "exit_code", "3")).build()).id(), WAIT);
        assertThat(job.failure().cause()).isEqualTo(FailureCause.UNKNOWN);
        assertThat(job.failure().message()).isEqualTo("the trainer exited with code 3 without reporting an error; "
                + "last stderr line: RuntimeError: simulated failure at step 2");
    }

    @Test
    void maxRuntime_stopsTheJobWithACheckpoint_asATimeout() throws Exception {
        training.close();
        training = service().runtimeMinute(Duration.ofMillis(500)).build();
        Job job = training.jobs().await(training.jobs().submit(fx.spec(4000, Map.of("step_seconds", "0.05"))
                .resources(Resources.builder().gpus(0).maxRuntimeMinutes(1).build()).build()).id(), WAIT);
        assertThat(job.status()).isEqualTo(JobStatus.FAILED);
        assertThat(job.failure().cause()).isEqualTo(FailureCause.TIMEOUT);
        assertThat(job.failure().message()).startsWith("ran past max_runtime_minutes 1; checkpoint kept at ");
    }

    @Test
    void aTrainerStoppedByALimitAfterItReportedItsOutput_finishedTheJob() throws Exception {
        training.close();
        training = service().runtimeMinute(Duration.ofMillis(500)).build();
        Job job = training.jobs().await(training.jobs().submit(fx.spec(3, Map.of("linger_seconds", "30"))
                .resources(Resources.builder().gpus(0).maxRuntimeMinutes(1).build()).build()).id(), WAIT);
        assertThat(job.status()).as(training.jobs().events(job.id(), 0, 100).items().toString())
                .isEqualTo(JobStatus.SUCCEEDED);
        assertThat(job.output()).isNotNull();
    }

    @Test
    void await_givesUpAfterItsTimeout() {
        Job job = training.jobs().submit(fx.spec(4000, Map.of("step_seconds", "0.05")).build());
        assertThatThrownBy(() -> training.jobs().await(job.id(), Duration.ofMillis(300)))
                .isInstanceOf(TimeoutException.class).hasMessageContaining("is still");
        training.jobs().cancel(job.id());
    }

    @Test
    void unknownIds_areReportedAsSuch() {
        assertThatThrownBy(() -> training.jobs().get("ftjob-nope")).isInstanceOf(JobNotFoundException.class)
                .hasMessage("No job with id 'ftjob-nope'");
        assertThatThrownBy(() -> training.jobs().cancel("ftjob-nope")).isInstanceOf(JobNotFoundException.class);
        assertThatThrownBy(() -> training.jobs().events("ftjob-nope", 0, 10)).isInstanceOf(JobNotFoundException.class);
    }

    @Test
    void list_filtersByTenantAndStatus_newestFirst_inPages() throws Exception {
        Job a = training.jobs().await(training.jobs().submit(fx.spec(1)).id(), WAIT);
        Job b = training.jobs().await(training.jobs().submit(fx.spec(1, Map.of()).tenant("globex").build()).id(), WAIT);
        Job c = training.jobs().await(training.jobs().submit(fx.spec(1)).id(), WAIT);
        assertThat(training.jobs().list(JobQuery.builder().tenant("acme").build()).items()).extracting(Job::id)
                .containsExactly(c.id(), a.id());
        var page = training.jobs().list(JobQuery.builder().status(JobStatus.SUCCEEDED).limit(2).build());
        assertThat(page.items()).extracting(Job::id).containsExactly(c.id(), b.id());
        assertThat(training.jobs().list(JobQuery.builder().after(page.nextCursor()).build()).items())
                .extracting(Job::id).containsExactly(a.id());
    }
}
