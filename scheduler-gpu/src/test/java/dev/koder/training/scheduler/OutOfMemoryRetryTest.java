package dev.koder.training.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.Hyperparameters;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobStatus;
import dev.koder.training.core.Training;
import dev.koder.training.core.exec.LocalExecutor;
import dev.koder.training.tck.Samples;
import dev.koder.training.tck.ScriptedRunner;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job that left micro_batch_size to the service, on a (pretend) H100 where the service chooses 8, runs out of host
 * memory in a real memory cgroup sized so that 8 is killed by the kernel and 4 fits (the scripted trainer holds 50 MiB
 * an example of its micro-batch, as activations would): the retry halves it, doubles the accumulation, and succeeds
 * with the same effective batch.
 */
class OutOfMemoryRetryTest {

    @TempDir
    Path dir;

    /** A service on one pretend H100 whose trainers may each hold 0.3 GiB of host memory. */
    Training service() {
        return Training.builder().home(dir.resolve("home")).runner(new ScriptedRunner())
                .property("training.gpus", "local=1xNVIDIA H100 80GB HBM3@80")
                .property(LocalExecutor.MEMORY_LIMIT_PROPERTY, "0.3").pollInterval(Duration.ofMillis(50))
                .poolRefresh(Duration.ZERO).build();
    }

    @Test
    void microBatch8KilledInItsCgroup_isRetriedOnceWith4_andTheSameEffectiveBatch() throws Exception {
        Path model = Samples.tinyModelFolder(dir.resolve("model"));
        Path data = Samples.chatData(dir.resolve("train.jsonl"), 8);
        try (Training t = service()) {
            Job job = t.jobs().submit(Samples.scriptedJob(model, data, 1, 20, Map.of("mib_per_example", "50",
                    "step_seconds", "0.02")).hyperparameters(Hyperparameters.builder().maxSteps(20).maxSeqLength(64)
                            .batchSize(8).microBatchSizeAuto().build()).build());
            assertThat(job.spec().hyperparameters().microBatchSize()).as("chosen by the service").isEqualTo(8);
            assertThat(job.autoSettings()).contains("micro_batch_size");
            Job done = t.jobs().await(job.id(), Duration.ofSeconds(90));
            List<JobEvent> events = t.jobs().events(done.id(), 0, 1000).items();
            assertThat(done.status()).as(events.toString()).isEqualTo(JobStatus.SUCCEEDED);
            assertThat(done.attempt()).isEqualTo(2);
            assertThat(done.retries()).as("the halving is not one of the policy's retries").isZero();
            assertThat(done.spec().hyperparameters().microBatchSize()).isEqualTo(4);
            assertThat(done.spec().hyperparameters().gradientAccumulationSteps()).isEqualTo(2);
            assertThat(done.autoSettings()).doesNotContain("micro_batch_size");
            assertThat(events).anySatisfy(e -> assertThat(e.message()).contains("failed (host_out_of_memory)")
                    .contains("its own memory cgroup, limited to 0.30 GiB, counted 1 out-of-memory kill"));
            assertThat(events).anySatisfy(e -> assertThat(e.message()).contains("ran out of memory with "
                    + "micro_batch_size 8").contains("micro_batch_size 4 and gradient_accumulation_steps 2"));
        }
    }

    @Test
    void anOutOfMemoryFailureOfAMicroBatchTheSpecSet_fails_namingTheSettingToChange() throws Exception {
        Path model = Samples.tinyModelFolder(dir.resolve("model"));
        Path data = Samples.chatData(dir.resolve("train.jsonl"), 8);
        try (Training t = service()) {
            Job done = t.jobs().await(t.jobs().submit(Samples.scriptedJob(model, data, 1, 20, Map.of(
                    "mib_per_example", "50")).hyperparameters(Hyperparameters.builder().maxSteps(20).maxSeqLength(64)
                            .microBatchSize(8).build()).build()).id(), Duration.ofSeconds(90));
            assertThat(done.status()).isEqualTo(JobStatus.FAILED);
            assertThat(done.attempt()).isEqualTo(1);
            assertThat(done.failure().message()).contains("its own memory cgroup").contains("lower micro_batch_size");
            assertThat(done.failure().cause()).isEqualTo(dev.koder.training.api.FailureCause.HOST_OUT_OF_MEMORY);
        }
    }
}
