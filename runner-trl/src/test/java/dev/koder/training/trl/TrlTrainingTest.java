package dev.koder.training.trl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Resources;
import dev.koder.training.api.TrainingMethod;
import dev.koder.training.api.UnsupportedFeatureException;
import dev.koder.training.core.Training;
import dev.koder.training.tck.Samples;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real TRL training on a CPU, through the service, on a tiny model the tests make. */
class TrlTrainingTest {

    static final Duration WAIT = Duration.ofMinutes(5);

    @TempDir
    Path dir;

    Training service(TinyWorld w) {
        return Training.builder().home(dir.resolve("home")).runner(w.runner).pollInterval(Duration.ofMillis(100))
                .cancelGracePeriod(Duration.ofSeconds(60)).build();
    }

    static List<JobEvent> events(Training t, String id) {
        return Samples.events(t.jobs(), id);
    }

    static List<Map<String, Object>> progress(List<JobEvent> events) {
        return events.stream().filter(e -> e.type().equals(JobEvent.TYPE_PROGRESS)).map(JobEvent::data).toList();
    }

    static double number(Map<String, Object> data, String key) {
        return ((Number) data.get(key)).doubleValue();
    }

    static Job await(Training t, Job job) throws Exception {
        Job done = t.jobs().await(job.id(), WAIT);
        return done;
    }

    static Job waitForStep(Training t, String id, long step) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            Job j = t.jobs().get(id);
            if (j.status().isTerminal() || (j.progress().step() != null && j.progress().step() >= step)) {
                return j;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("job " + id + " never reached step " + step);
    }

    @Test
    void loraSft_lowersTheLossByAtLeastAThird_andWritesAPeftAdapterWithItsTokenizer() throws Exception {
        TinyWorld w = TinyWorld.get();
        try (Training t = service(w)) {
            Job job = await(t, t.jobs().submit(w.sft(120).build()));
            List<JobEvent> events = events(t, job.id());
            assertThat(job.status()).as(events.toString()).isEqualTo(JobStatus.SUCCEEDED);
            List<Map<String, Object>> progress = progress(events);
            assertThat(progress).hasSizeGreaterThan(10);
            double first = number(progress.get(0), "loss");
            double last = number(progress.get(progress.size() - 1), "loss");
            assertThat(last).as("loss %s -> %s", first, last).isLessThan(first * 0.7);
            Path out = Path.of(job.output());
            assertThat(out.resolve("adapter_config.json")).exists();
            assertThat(out.resolve("adapter_model.safetensors")).exists();
            assertThat(out.resolve("tokenizer.json")).exists();
            assertThat(job.progress().tokensPerSecond()).isPositive();
            assertThat(job.progress().tokens()).isPositive();
        }
    }

    @Test
    void fullSft_trainsEveryWeight_andWritesAHuggingFaceModelFolder() throws Exception {
        TinyWorld w = TinyWorld.get();
        try (Training t = service(w)) {
            Job job = await(t, t.jobs().submit(w.sft(30).method(TrainingMethod.sftFull())
                    .hyperparameters(Hyperparameters.builder().maxSteps(30).learningRate(1e-3).microBatchSize(16)
                            .maxSeqLength(64).gradientCheckpointing(false).build()).build()));
            assertThat(job.status()).as(events(t, job.id()).toString()).isEqualTo(JobStatus.SUCCEEDED);
            List<Map<String, Object>> progress = progress(events(t, job.id()));
            assertThat(number(progress.get(progress.size() - 1), "loss")).isLessThan(number(progress.get(0), "loss"));
            Path out = Path.of(job.output());
            assertThat(out.resolve("config.json")).exists();
            assertThat(out.resolve("model.safetensors")).exists();
            assertThat(out.resolve("adapter_config.json")).doesNotExist();
        }
    }

    @Test
    void dpo_endsWithAPositiveRewardMargin_andALossBelowLn2() throws Exception {
        TinyWorld w = TinyWorld.get();
        try (Training t = service(w)) {
            Job job = await(t, t.jobs().submit(w.sft(60).name("tiny-dpo")
                    .method(TrainingMethod.dpo(AdapterType.LORA, DpoConfig.of(0.1, DpoLoss.SIGMOID)))
                    .trainingData(DatasetRef.of(TinyWorld.PREFS, DatasetFormat.PREFERENCE))
                    .hyperparameters(Hyperparameters.builder().maxSteps(60).learningRate(2e-3).microBatchSize(16)
                            .maxSeqLength(64).gradientCheckpointing(false).build()).build()));
            List<JobEvent> events = events(t, job.id());
            assertThat(job.status()).as(events.toString()).isEqualTo(JobStatus.SUCCEEDED);
            Map<String, Object> last = progress(events).get(progress(events).size() - 1);
            assertThat(number(last, "rewards_margins")).isPositive();
            assertThat(number(last, "loss")).isLessThan(Math.log(2));
            assertThat(Path.of(job.output()).resolve("adapter_model.safetensors")).exists();
        }
    }

    @Test
    void fullDpo_trainsEveryWeight_withAFrozenCopyAsReference() throws Exception {
        TinyWorld w = TinyWorld.get();
        try (Training t = service(w)) {
            Job job = await(t, t.jobs().submit(w.sft(20).name("tiny-dpo-full")
                    .method(TrainingMethod.dpo(AdapterType.FULL, DpoConfig.of(0.1, DpoLoss.IPO)))
                    .trainingData(DatasetRef.of(TinyWorld.PREFS, DatasetFormat.PREFERENCE))
                    .hyperparameters(Hyperparameters.builder().maxSteps(20).learningRate(1e-4).microBatchSize(8)
                            .maxSeqLength(64).gradientCheckpointing(false).build()).build()));
            assertThat(job.status()).as(events(t, job.id()).toString()).isEqualTo(JobStatus.SUCCEEDED);
            assertThat(Path.of(job.output()).resolve("model.safetensors")).exists();
            assertThat(progress(events(t, job.id()))).allSatisfy(p -> assertThat(p).containsKey("rewards_margins"));
        }
    }

    @Test
    void packing_trains_andWarnsWithoutFlashAttention() throws Exception {
        TinyWorld w = TinyWorld.get();
        try (Training t = service(w)) {
            Job job = await(t, t.jobs().submit(w.sft(10).hyperparameters(Hyperparameters.builder().maxSteps(10)
                    .learningRate(2e-3).microBatchSize(4).maxSeqLength(64).gradientCheckpointing(false).packing(true)
                    .build()).build()));
            assertThat(job.status()).isEqualTo(JobStatus.SUCCEEDED);
            assertThat(events(t, job.id())).anySatisfy(e -> assertThat(e.message())
                    .startsWith("packing without flash attention trains padding-free"));
        }
    }

    @Test
    void cancelMidRun_keepsACheckpoint_andResumingContinuesFromThatStep() throws Exception {
        TinyWorld w = TinyWorld.get();
        try (Training t = service(w)) {
            Job job = t.jobs().submit(w.sft(3000).checkpoints(CheckpointPolicy.everySteps(1000, 2)).build());
            waitForStep(t, job.id(), 20);
            t.jobs().cancel(job.id());
            Job cancelled = t.jobs().await(job.id(), WAIT);
            assertThat(cancelled.status()).isEqualTo(JobStatus.CANCELLED);
            Path checkpoint = Path.of(cancelled.lastCheckpoint());
            assertThat(checkpoint.resolve("trainer_state.json")).exists();
            assertThat(checkpoint.resolve("adapter_model.safetensors")).exists();
            long stoppedAt = Long.parseLong(checkpoint.getFileName().toString().replace("checkpoint-", ""));
            assertThat(stoppedAt).isGreaterThanOrEqualTo(20);

            Job resumed = t.jobs().resume(job.id());
            waitForStep(t, resumed.id(), stoppedAt + 10);
            t.jobs().cancel(resumed.id());
            t.jobs().await(resumed.id(), WAIT);
            List<Map<String, Object>> progress = progress(events(t, resumed.id()));
            assertThat(number(progress.get(0), "step")).as("the step count goes on").isGreaterThan(stoppedAt);
            assertThat(events(t, resumed.id())).anySatisfy(e -> assertThat(e.message()).contains("resuming from "
                    + checkpoint));
        }
    }

    @Test
    void aTrainerKilledFromOutside_withoutTheKernelsOomEvidence_failsAsKilled() throws Exception {
        TinyWorld w = TinyWorld.get();
        try (Training t = service(w)) {
            // no retry, to see the cause (a retry of it is TrainingLifecycleTest's)
            Job job = t.jobs().submit(w.sft(3000).resources(Resources.builder().gpus(0).maxRetries(0).build())
                    .build());
            waitForStep(t, job.id(), 5);
            String ref = events(t, job.id()).stream().map(e -> e.data().get("execution")).filter(x -> x != null)
                    .findFirst().orElseThrow().toString();
            long pid = Long.parseLong(ref.split(":")[1]);
            ProcessHandle.of(pid).orElseThrow().destroyForcibly();
            Job failed = t.jobs().await(job.id(), WAIT);
            assertThat(failed.status()).isEqualTo(JobStatus.FAILED);
            // The same decision every runner gets (FailureClassifier): SIGKILL is the host's memory only with the
            // kernel's evidence, which a kill by hand does not leave (KernelOomTest makes a real one).
            assertThat(failed.failure().cause()).isEqualTo(FailureCause.KILLED);
            assertThat(failed.failure().message()).contains("signal 9").contains("no sign of the kernel's out-of-memory");
        }
    }

    @Test
    void aTrainerThatFails_isClassified_andKeepsTheStderrTail() throws Exception {
        TinyWorld w = TinyWorld.get();
        Path noTemplate = dir.resolve("no-template");
        Files.createDirectories(noTemplate);
        try (Stream<Path> files = Files.list(w.model)) {
            for (Path f : files.toList()) {
                Files.copy(f, noTemplate.resolve(f.getFileName()));
            }
        }
        Files.deleteIfExists(noTemplate.resolve("chat_template.jinja"));
        Path config = noTemplate.resolve("tokenizer_config.json");
        Files.writeString(config, Files.readString(config).replaceAll("\"chat_template\"\\s*:\\s*\"(\\\\.|[^\"\\\\])*\",?", ""));
        try (Training t = service(w)) {
            Job job = await(t, t.jobs().submit(w.sft(10).baseModel(noTemplate.toString()).build()));
            assertThat(job.status()).isEqualTo(JobStatus.FAILED);
            assertThat(job.failure().cause()).isEqualTo(FailureCause.CONFIG);
            assertThat(job.failure().message()).contains("has no chat template");
            assertThat(job.failure().logTail()).anySatisfy(l -> assertThat(l).contains("ConfigError"));
        }
    }

    @Test
    void badModelPath_wrongDataFormat_andQloraWithoutCuda_areRejectedBeforeAnyProcessStarts() throws Exception {
        TinyWorld w = TinyWorld.get();
        try (Training t = service(w)) {
            Job noModel = await(t, t.jobs().submit(w.sft(10).baseModel(dir.resolve("missing").toString()).build()));
            assertThat(noModel.status()).isEqualTo(JobStatus.FAILED);
            assertThat(noModel.failure().cause()).isEqualTo(FailureCause.INVALID_MODEL);
            assertThat(noModel.attempt()).isZero();

            Job wrongFormat = await(t, t.jobs().submit(w.sft(10)
                    .method(TrainingMethod.dpoLora()).trainingData(DatasetRef.of(TinyWorld.TRAIN, DatasetFormat.PREFERENCE))
                    .build()));
            assertThat(wrongFormat.status()).isEqualTo(JobStatus.FAILED);
            assertThat(wrongFormat.failure().cause()).isEqualTo(FailureCause.INVALID_DATASET);
            assertThat(wrongFormat.failure().message()).contains("this line looks like chat data");
            assertThat(wrongFormat.attempt()).isZero();

            assertThatThrownBy(() -> t.jobs().submit(w.sft(10).method(TrainingMethod.qlora())
                    .resources(Resources.gpus(1)).build())).isInstanceOf(UnsupportedFeatureException.class)
                    .hasMessageContaining("/method/adapter: qlora needs bitsandbytes and a CUDA GPU");
            assertThat(Files.exists(t.home().resolve("jobs").resolve(noModel.id()))).isFalse();
        }
    }
}
