package dev.koder.training.axolotl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.CheckpointPolicy;
import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.TrainingMethod;
import dev.koder.training.api.Violation;
import dev.koder.training.spi.PluginConfig;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the axolotl runner refuses before anything is written: a spec it would not train as asked. */
class AxolotlChecksTest {

    @TempDir
    Path dir;

    @Test
    void theBestCheckpoint_isRefused_forAxolotlOutputsItsLastStep() {
        AxolotlRunner runner = new AxolotlRunner(new PluginConfig(dir, Map.of()));
        JobSpec best = JobSpec.builder().name("job").tenant("acme").baseModel("org/model").runner("axolotl")
                .method(TrainingMethod.sftLora()).trainingData(DatasetRef.of("/data/train.jsonl", DatasetFormat.CHAT))
                .validationData(DatasetRef.of("/data/valid.jsonl", DatasetFormat.CHAT))
                .checkpoints(CheckpointPolicy.everySteps(10, 2).bestBy("eval_loss")).build();
        assertThat(runner.check(best)).extracting(Violation::toString).contains("/checkpoints/select: runner "
                + "'axolotl' outputs its last step; the best evaluated checkpoint is chosen by runners trl and unsloth");
        JobSpec last = best.toBuilder().checkpoints(CheckpointPolicy.everySteps(10, 2)).build();
        assertThat(runner.check(last)).extracting(Violation::toString)
                .noneMatch(v -> v.startsWith("/checkpoints"));
    }
}
