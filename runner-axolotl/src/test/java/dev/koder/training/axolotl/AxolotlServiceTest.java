package dev.koder.training.axolotl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.CheckpointPolicy;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.TrainingMethod;
import dev.koder.training.core.Training;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Jobs of the axolotl runner in the service, over the stand-in axolotl: DPO trains and reports its output;
 * cancel stops with a checkpoint (the plugin's SIGTERM handler) and resume continues the step count through
 * {@code resume_from_checkpoint}.
 */
class AxolotlServiceTest {

    @TempDir
    Path dir;

    Training service() {
        return Training.builder().home(dir.resolve("home")).runner(StandIn.get().runner(dir))
                .pollInterval(Duration.ofMillis(100)).cancelGracePeriod(Duration.ofSeconds(60)).build();
    }

    static List<JobEvent> events(Training t, String id) {
        return t.jobs().events(id, 0, 1000).items();
    }

    @Test
    void dpo_trainsThroughTheConfigAndPlugin_andItsOutputIsRegistered() throws Exception {
        try (Training t = service()) {
            Job job = t.jobs().await(t.jobs().submit(StandIn.get().spec(TrainingMethod.dpoLora(), 4).build()).id(),
                    Duration.ofMinutes(5));
            assertThat(job.status()).as("%s", job.failure()).isEqualTo(JobStatus.SUCCEEDED);
            assertThat(Path.of(job.output()).resolve("adapter_config.json")).exists();
            assertThat(Files.readString(t.home().resolve("jobs").resolve(job.id()).resolve("axolotl/config.yml")))
                    .contains("rl: dpo").contains("type: chat_template.default");
            assertThat(events(t, job.id())).anySatisfy(e -> assertThat(e.type()).isEqualTo(JobEvent.TYPE_PROGRESS));
            assertThat(events(t, job.id())).as("tokens/s, counted by the plugin").anySatisfy(e -> assertThat(
                    e.data().get("tokens_per_second")).isInstanceOf(Number.class));
            dev.koder.training.api.Checkpoint output = t.checkpoints().list(dev.koder.training.api.CheckpointQuery
                    .builder().jobId(job.id()).limit(10).build()).items().stream()
                    .filter(dev.koder.training.api.Checkpoint::last).findFirst().orElseThrow();
            assertThat(output.files()).extracting(dev.koder.training.api.Checkpoint.File::path)
                    .contains("adapter_config.json").doesNotContain("debug.log", "model.safetensors");
        }
    }

    @Test
    void cancel_savesACheckpoint_andResumeContinuesTheStepCount() throws Exception {
        try (Training t = service()) {
            Job job = t.jobs().submit(StandIn.get().spec(TrainingMethod.sftLora(), 150)
                    .checkpoints(CheckpointPolicy.everySteps(1000, 2)).build());
            long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
            while (t.jobs().get(job.id()).progress().step() == null || t.jobs().get(job.id()).progress().step() < 3) {
                assertThat(System.nanoTime()).isLessThan(deadline);
                Thread.sleep(100);
            }
            t.jobs().cancel(job.id());
            Job cancelled = t.jobs().await(job.id(), Duration.ofMinutes(2));
            assertThat(cancelled.status()).isEqualTo(JobStatus.CANCELLED);
            assertThat(cancelled.lastCheckpoint()).as("the plugin saved on SIGTERM").isNotNull();
            long stoppedAt = cancelled.progress().step();
            Job resumed = t.jobs().resume(job.id());
            Job again = t.jobs().await(resumed.id(), Duration.ofMinutes(3));
            assertThat(again.status()).isIn(JobStatus.SUCCEEDED, JobStatus.RUNNING, JobStatus.CANCELLED);
            long firstStep = events(t, resumed.id()).stream().filter(e -> e.type().equals(JobEvent.TYPE_PROGRESS))
                    .mapToLong(e -> ((Number) e.data().get("step")).longValue()).findFirst().orElseThrow();
            assertThat(firstStep).as("the step count goes on").isGreaterThan(stoppedAt);
            assertThat(Files.readString(t.home().resolve("jobs").resolve(resumed.id()).resolve("axolotl/config.yml")))
                    .contains("resume_from_checkpoint: " + cancelled.lastCheckpoint());
        }
    }
}
