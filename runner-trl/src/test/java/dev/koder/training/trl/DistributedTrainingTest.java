package dev.koder.training.trl;

import static dev.koder.training.trl.TrlTrainingTest.events;
import static dev.koder.training.trl.TrlTrainingTest.number;
import static dev.koder.training.trl.TrlTrainingTest.progress;
import static dev.koder.training.trl.TrlTrainingTest.waitForStep;
import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.AdapterType;
import dev.koder.training.api.CheckpointPolicy;
import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.DpoConfig;
import dev.koder.training.api.DpoLoss;
import dev.koder.training.api.FailureCause;
import dev.koder.training.api.Hyperparameters;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobFailure;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Resources;
import dev.koder.training.api.TrainingMethod;
import dev.koder.training.api.Violation;
import dev.koder.training.core.Training;
import dev.koder.training.python.DistributedLaunch;
import dev.koder.training.spi.ExitStatus;
import dev.koder.training.spi.LaunchPlan;
import dev.koder.training.spi.PluginConfig;
import dev.koder.training.spi.RunContext;
import dev.koder.training.spi.RunnerCapabilities;
import dev.koder.training.spi.TrainingRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Jobs trained by two processes on a CPU (gloo), launched by torchrun as a job of two GPUs is: real TRL on the tiny
 * model. Each rank leaves a trace (the trainers' {@code TRAINING_RANK_TRACE} diagnostic): digests of the batches it
 * trained on and of the trainable weights after every step.
 */
class DistributedTrainingTest {

    static final Duration WAIT = Duration.ofMinutes(5);
    static final int WORLD = 2;

    @TempDir
    Path dir;

    /** The TRL runner with two processes per CPU job and the rank trace on, in the job's folder. */
    static final class TracedRunner implements TrainingRunner {
        final TrlRunner trl;

        TracedRunner(Path home) {
            trl = new TrlRunner(new PluginConfig(home, Map.of(DistributedLaunch.CPU_PROCESSES_PROPERTY,
                    String.valueOf(WORLD))));
        }

        @Override
        public String name() {
            return trl.name();
        }

        @Override
        public RunnerCapabilities capabilities() {
            return trl.capabilities();
        }

        @Override
        public List<Violation> check(JobSpec spec) {
            return trl.check(spec);
        }

        @Override
        public Optional<JobFailure> classifyFailure(ExitStatus exit, List<String> stderrTail) {
            return trl.classifyFailure(exit, stderrTail);
        }

        @Override
        public LaunchPlan prepare(JobSpec spec, RunContext context) throws IOException {
            LaunchPlan plan = trl.prepare(spec, context);
            Map<String, String> env = new LinkedHashMap<>(plan.env());
            env.put("TRAINING_RANK_TRACE", context.workdir().resolve("rank-trace").toString());
            return new LaunchPlan(plan.command(), env, plan.workdir(), plan.stdout(), plan.stderr());
        }
    }

    Training service() {
        return Training.builder().home(dir.resolve("home")).runner(new TracedRunner(dir)).pollInterval(
                Duration.ofMillis(100)).cancelGracePeriod(Duration.ofSeconds(60)).build();
    }

    /** One line of a rank's trace. */
    record Step(int rank, int step, String weights, List<String> batches) {
    }

    static final Pattern LINE = Pattern.compile("\"rank\": (\\d+), \"step\": (\\d+), \"weights\": \"(\\w+)\", "
            + "\"batches\": \\[([^\\]]*)\\]");

    static List<Step> trace(Training t, Job job, int rank) throws IOException {
        Path file = t.home().resolve("jobs").resolve(job.id()).resolve("rank-trace").resolve("rank-" + rank + ".jsonl");
        return Files.readAllLines(file).stream().map(l -> {
            Matcher m = LINE.matcher(l);
            assertThat(m.find()).as(l).isTrue();
            List<String> batches = m.group(4).isBlank() ? List.of()
                    : List.of(m.group(4).replace("\"", "").split(",\\s*"));
            return new Step(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), m.group(3), batches);
        }).toList();
    }

    /** Both ranks ran the same steps, with identical weights after each, on batches the other never saw. */
    static void assertInStep(Training t, Job job) throws IOException {
        List<Step> zero = trace(t, job, 0);
        List<Step> one = trace(t, job, 1);
        assertThat(zero).isNotEmpty();
        assertThat(one.stream().map(Step::step).toList()).isEqualTo(zero.stream().map(Step::step).toList());
        Set<String> seenByZero = new HashSet<>();
        Set<String> seenByOne = new HashSet<>();
        for (int i = 0; i < zero.size(); i++) {
            assertThat(one.get(i).weights()).as("weights after step %d", zero.get(i).step())
                    .isEqualTo(zero.get(i).weights());
            if (i < zero.size() - 1) {
                // the last step of an epoch may fill a short batch with examples from the epoch's start (even batches)
                seenByZero.addAll(zero.get(i).batches());
                seenByOne.addAll(one.get(i).batches());
            }
        }
        assertThat(seenByZero).isNotEmpty();
        assertThat(seenByOne).doesNotContainAnyElementsOf(seenByZero);
        if (zero.size() > 1) {
            assertThat(zero.get(zero.size() - 1).weights()).as("the weights change").isNotEqualTo(zero.get(0).weights());
        }
    }

    /** A LoRA SFT far longer than any test waits for: micro-batch 4 x accumulation 2 on each of the two processes. */
    static JobSpec.Builder longSft(TinyWorld w) {
        return w.sft(3000).hyperparameters(Hyperparameters.builder().maxSteps(3000).learningRate(2e-3).batchSize(8)
                .microBatchSize(4).maxSeqLength(64).gradientCheckpointing(false).build());
    }

    static List<Map<String, Object>> trainerStarts(List<JobEvent> events) {
        return events.stream().filter(e -> e.type().equals(JobEvent.TYPE_STARTED)).map(JobEvent::data).toList();
    }

    /** Processes whose command line names the job's folder: its launcher and ranks. */
    static List<ProcessHandle> processesOf(Training t, Job job) {
        String folder = t.home().resolve("jobs").resolve(job.id()).toString();
        return ProcessHandle.allProcesses().filter(p -> p.isAlive() && p.info().commandLine()
                .map(c -> c.contains(folder)).orElse(false)).toList();
    }

    static void assertNoProcessLeft(Training t, Job job) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!processesOf(t, job).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(processesOf(t, job)).as("processes left behind").isEmpty();
    }

    @Test
    void loraSft_onTwoProcesses_stepsFollowTheWorld_ranksStayIdentical_andRankZeroAloneReports() throws Exception {
        TinyWorld w = TinyWorld.get();
        try (Training t = service()) {
            Job job = t.jobs().await(t.jobs().submit(w.sft(1).hyperparameters(Hyperparameters.builder().epochs(1)
                    .learningRate(2e-3).batchSize(8).microBatchSize(4).maxSeqLength(64).gradientCheckpointing(false)
                    .build()).build()).id(), WAIT);
            List<JobEvent> events = events(t, job.id());
            assertThat(job.status()).as(events.toString()).isEqualTo(JobStatus.SUCCEEDED);

            // 460 examples, micro-batch 4 x accumulation 2 x 2 processes: ceil(460 / 8) = 58 batches a rank, 29 steps
            // (one process would take 58)
            List<Map<String, Object>> starts = trainerStarts(events);
            assertThat(starts).hasSize(1);
            assertThat(number(starts.get(0), "world_size")).isEqualTo(2);
            assertThat(number(starts.get(0), "total_steps")).isEqualTo(29);
            List<Map<String, Object>> progress = progress(events);
            List<Integer> steps = progress.stream().map(p -> (int) number(p, "step")).toList();
            assertThat(steps).as("one report per step, from rank 0 alone").doesNotHaveDuplicates().isSorted();
            assertThat(steps.get(steps.size() - 1)).isEqualTo(29);
            assertThat(events.stream().filter(e -> e.type().equals(JobEvent.TYPE_CHECKPOINT)).count()).isEqualTo(1);
            assertThat(Path.of(job.output()).resolve("adapter_model.safetensors")).exists();

            assertInStep(t, job);
            assertThat(trace(t, job, 0)).hasSize(29);
            String stderr = Files.readString(t.home().resolve("jobs").resolve(job.id()).resolve("logs/attempt-1.stderr.log"));
            assertThat(stderr).contains("[rank0]:").contains("[rank1]:");
            assertNoProcessLeft(t, job);
        }
    }

    @Test
    void loraDpo_onTwoProcesses_ranksStayIdentical() throws Exception {
        TinyWorld w = TinyWorld.get();
        try (Training t = service()) {
            Job job = t.jobs().await(t.jobs().submit(w.sft(1).name("tiny-dpo")
                    .method(TrainingMethod.dpo(AdapterType.LORA, DpoConfig.of(0.1, DpoLoss.SIGMOID)))
                    .trainingData(DatasetRef.of(TinyWorld.PREFS, DatasetFormat.PREFERENCE))
                    .hyperparameters(Hyperparameters.builder().maxSteps(8).learningRate(2e-3).batchSize(8)
                            .microBatchSize(4).maxSeqLength(64).gradientCheckpointing(false).build()).build()).id(), WAIT);
            List<JobEvent> events = events(t, job.id());
            assertThat(job.status()).as(events.toString()).isEqualTo(JobStatus.SUCCEEDED);
            assertThat(number(trainerStarts(events).get(0), "world_size")).isEqualTo(2);
            assertThat(progress(events).get(progress(events).size() - 1)).containsKey("rewards_margins");
            assertInStep(t, job);
            assertThat(trace(t, job, 0)).hasSize(8);
        }
    }

    @Test
    void cancel_stopsEveryRankAtOneStepWithACheckpoint_andTheJobResumesOnTwoProcesses() throws Exception {
        TinyWorld w = TinyWorld.get();
        try (Training t = service()) {
            Job job = t.jobs().submit(longSft(w).checkpoints(CheckpointPolicy.everySteps(1000, 2)).build());
            Job running = waitForStep(t, job.id(), 15);
            assertThat(running.status()).as(events(t, job.id()).toString()).isEqualTo(JobStatus.RUNNING);
            try {
                t.jobs().cancel(job.id());
            } catch (RuntimeException e) {
                throw new AssertionError(t.jobs().get(job.id()).failure() + " " + events(t, job.id()), e);
            }
            Job cancelled = t.jobs().await(job.id(), WAIT);
            assertThat(cancelled.status()).as(events(t, job.id()).toString()).isEqualTo(JobStatus.CANCELLED);
            Path checkpoint = Path.of(cancelled.lastCheckpoint());
            assertThat(checkpoint.resolve("adapter_model.safetensors")).exists();
            int stoppedAt = Integer.parseInt(checkpoint.getFileName().toString().replace("checkpoint-", ""));
            List<Step> zero = trace(t, cancelled, 0);
            List<Step> one = trace(t, cancelled, 1);
            assertThat(zero.get(zero.size() - 1).step()).isEqualTo(stoppedAt);
            assertThat(one.get(one.size() - 1).step()).as("every rank stopped at the same step").isEqualTo(stoppedAt);
            assertNoProcessLeft(t, cancelled);

            Job resumed = t.jobs().resume(job.id());
            waitForStep(t, resumed.id(), stoppedAt + 5);
            try {
                t.jobs().cancel(resumed.id());
            } catch (RuntimeException e) {
                throw new AssertionError(t.jobs().get(resumed.id()).failure() + " " + events(t, resumed.id()), e);
            }
            t.jobs().await(resumed.id(), WAIT);
            List<JobEvent> events = events(t, resumed.id());
            assertThat(number(trainerStarts(events).get(0), "world_size")).isEqualTo(2);
            assertThat(number(progress(events).get(0), "step")).as("the step count goes on").isGreaterThan(stoppedAt);
            assertInStep(t, resumed);
            assertNoProcessLeft(t, resumed);
        }
    }

    @Test
    void aRankKilled_failsTheJobNamingThatRank_andLeavesNoProcess() throws Exception {
        TinyWorld w = TinyWorld.get();
        try (Training t = service()) {
            // no retry, to see the cause (a retry of it is TrainingLifecycleTest's)
            Job job = t.jobs().submit(longSft(w).resources(Resources.builder().gpus(0).maxRetries(0).build()).build());
            waitForStep(t, job.id(), 5);
            ProcessHandle rank1 = processesOf(t, job).stream().filter(p -> rankOf(p) == 1).findFirst().orElseThrow();
            assertThat(environment(rank1)).containsEntry("CUDA_DEVICE_ORDER", "PCI_BUS_ID").containsEntry("WORLD_SIZE", "2");
            long killedAt = System.nanoTime();
            rank1.destroyForcibly();
            Job failed = t.jobs().await(job.id(), WAIT);
            Duration took = Duration.ofNanos(System.nanoTime() - killedAt);
            assertThat(failed.status()).isEqualTo(JobStatus.FAILED);
            assertThat(failed.failure().cause()).as(failed.failure().toString()).isEqualTo(FailureCause.KILLED);
            assertThat(failed.failure().message()).contains("rank 1 was killed by signal 9 (SIGKILL)");
            assertThat(took).as("failed within the collective timeout").isLessThan(Duration.ofSeconds(600));
            assertNoProcessLeft(t, job);
        }
    }

    /** A process's environment, empty when it cannot be read. */
    static Map<String, String> environment(ProcessHandle p) {
        Map<String, String> env = new HashMap<>();
        try {
            for (String kv : Files.readString(Path.of("/proc", String.valueOf(p.pid()), "environ")).split("\0")) {
                int eq = kv.indexOf('=');
                if (eq > 0) {
                    env.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
            }
        } catch (IOException e) {
            return Map.of();
        }
        return env;
    }

    /** The RANK in a process's environment, -1 when it has none (the launcher). */
    static int rankOf(ProcessHandle p) {
        try {
            String rank = environment(p).get("RANK");
            return rank == null ? -1 : Integer.parseInt(rank);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    @Test
    void twoJobsOfTwoProcesses_atOnce_eachHaveARendezvousOfTheirOwn() throws Exception {
        TinyWorld w = TinyWorld.get();
        try (Training t = Training.builder().home(dir.resolve("home")).runner(new TracedRunner(dir))
                .pollInterval(Duration.ofMillis(100)).maxConcurrentJobs(2).build()) {
            JobSpec spec = w.sft(1).hyperparameters(Hyperparameters.builder().maxSteps(25).learningRate(2e-3)
                    .batchSize(8).microBatchSize(4).maxSeqLength(64).gradientCheckpointing(false).build()).build();
            Job a = t.jobs().submit(spec);
            Job b = t.jobs().submit(spec);
            waitForStep(t, a.id(), 1);
            waitForStep(t, b.id(), 1);
            Job runningA = t.jobs().get(a.id());
            Job runningB = t.jobs().get(b.id());
            Job doneA = t.jobs().await(a.id(), WAIT);
            Job doneB = t.jobs().await(b.id(), WAIT);
            assertThat(doneA.status()).as(events(t, a.id()).toString()).isEqualTo(JobStatus.SUCCEEDED);
            assertThat(doneB.status()).as(events(t, b.id()).toString()).isEqualTo(JobStatus.SUCCEEDED);
            assertThat(runningA.status() == JobStatus.RUNNING || runningB.status() == JobStatus.RUNNING)
                    .as("the two jobs overlapped").isTrue();
            assertThat(doneA.startedAt()).isBefore(doneB.finishedAt());
            assertThat(doneB.startedAt()).isBefore(doneA.finishedAt());
        }
    }
}
