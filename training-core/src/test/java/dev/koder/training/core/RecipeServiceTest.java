package dev.koder.training.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.Hyperparameters;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobStatus;
import dev.koder.training.tck.ScriptedRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A submitted job runs with its auto values chosen at admission: the stored spec (what the runner gets) holds
 * them, and the first event and the estimate say what was chosen and why.
 */
class RecipeServiceTest {

    @TempDir
    Path dir;

    @Test
    void autoValuesAreChosenAtAdmission_stored_andExplainedInTheFirstEvent() throws Exception {
        Fixtures fx = new Fixtures(dir);
        // A model the estimator can size: a CPU job, so checkpointing goes off and the micro-batch is the default's.
        Files.writeString(fx.model.resolve("config.json"), "{\"model_type\":\"llama\",\"hidden_size\":64,"
                + "\"num_hidden_layers\":2,\"num_attention_heads\":4,\"num_key_value_heads\":2,"
                + "\"intermediate_size\":128,\"vocab_size\":300}");
        try (Training t = Training.builder().home(dir.resolve("home"))
                .runner(new ScriptedRunner("fake", ScriptedRunner.allMethods())).pollInterval(Duration.ofMillis(50))
                .build()) {
            var spec = fx.spec(2, java.util.Map.of()).hyperparameters(Hyperparameters.builder().maxSteps(2)
                    .maxSeqLength(64).microBatchSizeAuto().batchSize(8).build()).build();
            assertThat(spec.hyperparameters().autoGradientCheckpointing()).isTrue();
            Job job = t.jobs().await(t.jobs().submit(spec).id(), Duration.ofSeconds(60));
            assertThat(job.status()).isEqualTo(JobStatus.SUCCEEDED);
            Hyperparameters h = job.spec().hyperparameters();
            assertThat(h.gradientCheckpointing()).isFalse();
            assertThat(h.microBatchSize()).isEqualTo(4);
            assertThat(h.gradientAccumulationSteps()).isEqualTo(2);
            JobEvent first = t.jobs().events(job.id(), 0, 1).items().get(0);
            assertThat(first.message()).contains("; recipe: gradient checkpointing off (auto; a CPU job")
                    .contains("; recipe: micro-batch 4 x accumulation 2 = batch 8 (auto;");
            assertThat(job.estimate().breakdown()).anySatisfy(l -> assertThat(l).startsWith("recipe: gradient "
                    + "checkpointing off"));
            assertThat(t.estimate(spec).breakdown()).anySatisfy(l -> assertThat(l).startsWith("recipe: micro-batch 4"));
        }
    }
}
