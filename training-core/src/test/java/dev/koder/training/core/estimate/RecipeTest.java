package dev.koder.training.core.estimate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.CostEstimate;
import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.DatasetStats;
import dev.koder.training.api.Hyperparameters;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.Resources;
import dev.koder.training.api.Strategy;
import dev.koder.training.api.TrainingMethod;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The memory-aware recipe: gradient checkpointing auto (the default) is off when the job fits its GPU with a
 * margin without it and on otherwise; micro-batch auto is the fastest that fits, with the batch kept through
 * accumulation; explicit values always win; the estimate's breakdown says what was chosen and why.
 */
class RecipeTest {

    @TempDir
    Path dir;

    final Estimator estimator = new Estimator(Estimator.Pricing.NONE);

    ModelShape shape(String name, int hidden, int layers, int heads, int kv, int intermediate, int vocab)
            throws IOException {
        return Shapes.llama(dir, name, hidden, layers, heads, kv, intermediate, vocab);
    }

    ModelShape small() throws IOException {
        return shape("0.85b", 2048, 16, 32, 8, 5632, 32000);
    }

    ModelShape big() throws IOException {
        return shape("8b", 4096, 32, 32, 8, 14336, 128256);
    }

    static JobSpec spec(TrainingMethod method, Hyperparameters.Builder h, int gpus) {
        return JobSpec.builder().name("r").tenant("t").baseModel("/m").method(method)
                .hyperparameters(h.epochs(1).maxSeqLength(2048).build())
                .trainingData(DatasetRef.of("/d.jsonl", DatasetFormat.CHAT))
                .resources(gpus == 0 ? Resources.cpu() : Resources.builder().gpus(gpus).build()).build();
    }

    static DatasetStats stats() {
        return new DatasetStats(1000, 2000, 4_000_000, 2_000_000, true, 2000, 0, 1000, 2_000_000);
    }

    Recipe recipe(JobSpec spec, ModelShape shape) {
        return estimator.recipe(spec, stats(), shape, "NVIDIA H100 80GB HBM3", 79.6, List.of(), "trl", null);
    }

    @Test
    void aSmallModel_turnsCheckpointingOff_andRunsFaster() throws IOException {
        JobSpec auto = spec(TrainingMethod.sftLora(), Hyperparameters.builder().microBatchSize(4), 1);
        Recipe r = recipe(auto, small());
        assertThat(r.spec().hyperparameters().gradientCheckpointing()).isFalse();
        assertThat(r.lines()).singleElement().asString().startsWith("recipe: gradient checkpointing off (auto: the "
                + "peak without it,").contains("within 85% of the GPU's 80 GiB").contains("1.28x faster");
        assertThat(r.estimate().breakdown()).contains(r.lines().get(0));
        assertThat(r.estimate().memory().total()).isLessThan(0.85 * 79.6);
        CostEstimate on = recipe(spec(TrainingMethod.sftLora(), Hyperparameters.builder().microBatchSize(4)
                .gradientCheckpointing(true), 1), small()).estimate();
        assertThat(r.estimate().tokensPerSecond() / on.tokensPerSecond()).isCloseTo(1.28, org.assertj.core.data.Offset
                .offset(0.01));
    }

    @Test
    void aBigModel_keepsCheckpointingOn_andTheBreakdownSaysWhy() throws IOException {
        Recipe r = recipe(spec(TrainingMethod.sftFull(), Hyperparameters.builder().microBatchSize(4), 1), big());
        assertThat(r.spec().hyperparameters().gradientCheckpointing()).isTrue();
        assertThat(r.lines()).singleElement().asString().startsWith("recipe: gradient checkpointing on (auto: "
                + "without it the peak would be").contains("more than 85% of the GPU's 80 GiB");
        assertThat(r.estimate().breakdown()).anySatisfy(l -> assertThat(l).startsWith("recipe: gradient "
                + "checkpointing on"));
    }

    @Test
    void explicitValues_win_andLeaveNoRecipeLine() throws IOException {
        for (boolean on : new boolean[] {true, false}) {
            Recipe r = recipe(spec(TrainingMethod.sftFull(), Hyperparameters.builder().microBatchSize(4)
                    .gradientCheckpointing(on), 1), big());
            assertThat(r.spec().hyperparameters().gradientCheckpointing()).isEqualTo(on);
            assertThat(r.lines()).isEmpty();
            assertThat(r.estimate().breakdown()).noneMatch(l -> l.startsWith("recipe:"));
        }
        JobSpec tooBig = spec(TrainingMethod.sftFull(), Hyperparameters.builder().microBatchSize(4)
                .gradientCheckpointing(false), 1);
        assertThat(recipe(tooBig, big()).estimate().fits()).as("kept off though it does not fit").isFalse();
    }

    @Test
    void autoMicroBatch_takesTheFastestThatFits_andKeepsTheBatch() throws IOException {
        JobSpec auto = spec(TrainingMethod.sftLora(), Hyperparameters.builder().microBatchSizeAuto().batchSize(64),
                1);
        Recipe r = recipe(auto, small());
        Hyperparameters h = r.spec().hyperparameters();
        assertThat(h.microBatchSize() * h.gradientAccumulationSteps()).isEqualTo(64);
        assertThat(h.batchSize()).isEqualTo(64);
        assertThat(r.estimate().memory().total()).isLessThanOrEqualTo(0.85 * 79.6);
        assertThat(r.lines()).anySatisfy(l -> assertThat(l).startsWith("recipe: micro-batch " + h.microBatchSize()
                + " x accumulation " + h.gradientAccumulationSteps() + " = batch 64 (auto: the fastest that fits 85% "
                + "of the GPU's 80 GiB; ").contains(" would need "));
        // The next larger micro-batch with the same setting does not fit: the choice is the largest there.
        int larger = Recipe.divisorsDescending(64, 64).stream().filter(m -> m > h.microBatchSize())
                .reduce((a, b) -> b).orElseThrow();
        JobSpec bigger = Recipe.with(auto, h.gradientCheckpointing(), larger);
        assertThat(estimator.estimate(bigger, stats(), small(), "NVIDIA H100 80GB HBM3", 79.6, List.of())
                .memory().total()).isGreaterThan(0.85 * 79.6);
        // Across GPUs the batch is still the whole step's.
        Recipe two = estimator.recipe(spec(TrainingMethod.sftLora(), Hyperparameters.builder().microBatchSizeAuto()
                .batchSize(64), 2), stats(), small(), "NVIDIA H100 80GB HBM3", 79.6, List.of(), "trl", null);
        Hyperparameters h2 = two.spec().hyperparameters();
        assertThat(h2.microBatchSize() * h2.gradientAccumulationSteps() * 2).isEqualTo(64);
    }

    @Test
    void withoutAGpuToPlanAgainst_theChoiceIsSafe_andSaysWhy() throws IOException {
        Recipe cpu = estimator.recipe(spec(TrainingMethod.sftLora(), Hyperparameters.builder().microBatchSizeAuto()
                .batchSize(16), 0), stats(), small(), null, null, List.of(), "trl", null);
        assertThat(cpu.spec().hyperparameters().gradientCheckpointing()).isFalse();
        assertThat(cpu.spec().hyperparameters().microBatchSize()).isEqualTo(4);
        assertThat(cpu.spec().hyperparameters().gradientAccumulationSteps()).isEqualTo(4);
        assertThat(cpu.lines()).anySatisfy(l -> assertThat(l).startsWith("recipe: gradient checkpointing off (auto; "
                + "a CPU job"));
        Recipe unknown = Recipe.unestimated(spec(TrainingMethod.sftLora(), Hyperparameters.builder()
                .microBatchSizeAuto().batchSize(6), 1), "the model's size is unknown here");
        assertThat(unknown.spec().hyperparameters().gradientCheckpointing()).isTrue();
        assertThat(unknown.spec().hyperparameters().microBatchSize()).as("the largest divisor of 6 up to 4").isEqualTo(3);
        assertThat(unknown.lines()).hasSize(2).allSatisfy(l -> assertThat(l).contains("the model's size is unknown "
                + "here"));
        assertThat(unknown.estimate()).isNull();
    }

    static JobSpec onGpus(TrainingMethod method, int gpus, Strategy strategy) {
        return JobSpec.builder().name("r").tenant("t").baseModel("/m").method(method)
                .hyperparameters(Hyperparameters.builder().epochs(1).maxSeqLength(2048).batchSize(64)
                        .microBatchSize(4).gradientCheckpointing(true).build())
                .trainingData(DatasetRef.of("/d.jsonl", DatasetFormat.CHAT))
                .resources(Resources.builder().gpus(gpus).strategy(strategy).build()).build();
    }

    @Test
    void severalGpus_fullFineTuneThatDoesNotFitOneGpu_isSharded_andItsMemoryPerGpuFollows() throws IOException {
        ModelShape b13 = shape("13b", 5120, 40, 40, 40, 13824, 32000);
        Recipe r = recipe(onGpus(TrainingMethod.sftFull(), 8, Strategy.AUTO), b13);
        assertThat(r.spec().resources().strategy()).isEqualTo(Strategy.FSDP);
        assertThat(r.lines().get(0)).startsWith("recipe: strategy fsdp (auto: weights, gradients and optimizer state,")
                .contains("do not fit within 85% of one GPU's 80 GiB; sharded over 8 GPUs");
        assertThat(r.estimate().breakdown()).contains(r.lines().get(0));
        CostEstimate ddp = recipe(onGpus(TrainingMethod.sftFull(), 8, Strategy.DDP), b13).estimate();
        assertThat(ddp.fits()).isFalse();
        assertThat(r.estimate().fits()).isTrue();
        // the state is split eight ways; activations are not
        assertThat(r.estimate().memory().optimizer()).isCloseTo(ddp.memory().optimizer() / 8,
                org.assertj.core.data.Offset.offset(0.01));
        assertThat(r.estimate().memory().total()).isLessThan(ddp.memory().total() / 2);
    }

    @Test
    void severalGpus_whatFitsOneGpu_andAdapters_trainWithDdp_andExplicitChoicesStay() throws IOException {
        Recipe small = recipe(onGpus(TrainingMethod.sftFull(), 2, Strategy.AUTO), small());
        assertThat(small.spec().resources().strategy()).isEqualTo(Strategy.DDP);
        assertThat(small.lines().get(0)).startsWith("recipe: strategy ddp (auto: weights, gradients and optimizer "
                + "state,").contains("fit within 85% of one GPU's 80 GiB");
        ModelShape b13 = shape("13b", 5120, 40, 40, 40, 13824, 32000);
        assertThat(recipe(onGpus(TrainingMethod.sftLora(), 8, Strategy.AUTO), b13).spec().resources().strategy())
                .isEqualTo(Strategy.DDP);
        Recipe kept = recipe(onGpus(TrainingMethod.sftFull(), 2, Strategy.FSDP), small());
        assertThat(kept.spec().resources().strategy()).isEqualTo(Strategy.FSDP);
        assertThat(kept.lines()).isEmpty();
        // DDP keeps a copy of the gradients in its buckets
        CostEstimate one = recipe(onGpus(TrainingMethod.sftFull(), 1, Strategy.AUTO), small()).estimate();
        assertThat(small.estimate().memory().overhead() - one.memory().overhead())
                .isCloseTo(one.memory().gradients(), org.assertj.core.data.Offset.offset(0.01));
        assertThat(recipe(onGpus(TrainingMethod.sftFull(), 1, Strategy.AUTO), small()).lines()).isEmpty();
    }
}
