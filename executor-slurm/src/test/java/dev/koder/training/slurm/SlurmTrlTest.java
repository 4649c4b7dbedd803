package dev.koder.training.slurm;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real TRL trainer, on a tiny model the test makes, run as a Slurm batch job from submit to output. */
class SlurmTrlTest {

    static final Path TRAIN = Path.of("../examples/data/shout-train.jsonl").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    @Test
    void aTinyLoraSft_runsThroughSlurm_endToEnd() throws Exception {
        TrlRunner runner = new TrlRunner(new PluginConfig(dir, Map.of()));
        Path model = new TrlTools(runner).tinyModel(dir.resolve("tiny-llama"), List.of(TRAIN), 128, dir.resolve("work"),
                line -> { });
        Training.Builder b = Training.builder().home(dir.resolve("home")).runner(runner)
                .pollInterval(Duration.ofMillis(100)).poolRefresh(Duration.ofSeconds(1));
        SlurmCluster.get().properties.forEach(b::property);
        try (Training t = b.build()) {
            Job job = t.jobs().submit(JobSpec.builder().name("tiny-sft-on-slurm").tenant("tests")
                    .baseModel(model.toString()).runner("trl").method(TrainingMethod.sftLora())
                    .hyperparameters(Hyperparameters.builder().maxSteps(40).learningRate(2e-3).microBatchSize(16)
                            .maxSeqLength(64).gradientCheckpointing(false).build())
                    .trainingData(DatasetRef.of(TRAIN, DatasetFormat.CHAT)).resources(Resources.cpu()).build());
            Job done = t.jobs().await(job.id(), Duration.ofMinutes(5));
            List<JobEvent> events = t.jobs().events(job.id(), 0, 1000).items();
            assertThat(done.status()).as(events.toString()).isEqualTo(JobStatus.SUCCEEDED);
            assertThat(events).anySatisfy(e -> assertThat(String.valueOf(e.data().get("execution"))).startsWith("slurm:"));
            List<Double> losses = events.stream().filter(e -> e.type().equals(JobEvent.TYPE_PROGRESS))
                    .map(e -> ((Number) e.data().get("loss")).doubleValue()).toList();
            assertThat(losses.get(losses.size() - 1)).isLessThan(losses.get(0));
            assertThat(Path.of(done.output()).resolve("adapter_model.safetensors")).exists();
            assertThat(t.checkpoints().list(dev.koder.training.api.CheckpointQuery.builder().jobId(job.id()).build())
                    .items()).isNotEmpty();
        }
    }
}
