package dev.koder.training.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JobSpecTest {

    static JobSpec.Builder minimal() {
        return JobSpec.builder().name("job").tenant("acme").baseModel("org/model").method(TrainingMethod.sftLora())
                .trainingData(DatasetRef.of("/data/train.jsonl", DatasetFormat.CHAT));
    }

    @Test
    void build_fillsInEveryDefault() {
        JobSpec s = minimal().build();
        assertThat(s.tier()).isEqualTo(Tier.FREE);
        assertThat(s.method().lora()).isEqualTo(new LoraConfig(16, 32, 0.05, List.of("all-linear")));
        assertThat(s.method().quantization()).isNull();
        Hyperparameters h = s.hyperparameters();
        assertThat(h.epochs()).isEqualTo(3);
        assertThat(h.maxSteps()).isNull();
        assertThat(h.learningRate()).isEqualTo(2e-4);
        assertThat(h.scheduler()).isEqualTo(Scheduler.COSINE);
        assertThat(h.warmupRatio()).isEqualTo(0.03);
        assertThat(h.microBatchSize()).isEqualTo(4);
        assertThat(h.gradientAccumulationSteps()).isEqualTo(1);
        assertThat(h.batchSize()).isEqualTo(4);
        assertThat(h.maxSeqLength()).isEqualTo(2048);
        assertThat(h.gradientCheckpointing()).as("auto: chosen at admission by memory").isNull();
        assertThat(h.autoGradientCheckpointing()).isTrue();
        assertThat(h.autoMicroBatch()).isFalse();
        assertThat(h.autoMicroBatchTokens()).as("SFT cuts its steps into micro-steps by tokens, budget at admission")
                .isTrue();
        assertThat(h.packing()).isFalse();
        assertThat(h.precision()).isEqualTo(Precision.AUTO);
        assertThat(s.resources().gpus()).isEqualTo(1);
        assertThat(s.checkpoints()).isEqualTo(new CheckpointPolicy(null, 2, CheckpointSelection.LAST, null));
        assertThat(s.runner()).isEmpty();
        assertThat(s.validationData()).isEmpty();
    }

    @Test
    void theFourPipelines_haveOneLineFactories_withTheirOwnDefaults() {
        JobSpec qlora = minimal().method(TrainingMethod.qlora()).build();
        assertThat(qlora.method().quantization()).isEqualTo(new QuantizationConfig(QuantType.NF4, true, Precision.BF16));
        JobSpec full = minimal().method(TrainingMethod.sftFull()).build();
        assertThat(full.method().lora()).isNull();
        assertThat(full.hyperparameters().learningRate()).isEqualTo(1e-5);
        JobSpec dpo = minimal().method(TrainingMethod.dpo(0.2, DpoLoss.IPO))
                .trainingData(DatasetRef.of("/p.jsonl", DatasetFormat.PREFERENCE)).build();
        assertThat(dpo.method().dpo()).isEqualTo(new DpoConfig(0.2, DpoLoss.IPO));
        assertThat(dpo.method().lora()).isNotNull();
        assertThat(dpo.hyperparameters().learningRate()).isEqualTo(5e-6);
        JobSpec dpoFull = minimal().method(TrainingMethod.dpo(AdapterType.FULL, DpoConfig.defaults()))
                .trainingData(DatasetRef.of("/p.jsonl", DatasetFormat.PREFERENCE)).build();
        assertThat(dpoFull.hyperparameters().learningRate()).isEqualTo(1e-6);
        assertThat(dpoFull.method().label()).isEqualTo("dpo+full");
    }

    @Test
    void batchArithmetic_derivesTheMissingPart_acrossGpus() {
        JobSpec fromBatch = minimal().resources(Resources.gpus(2))
                .hyperparameters(Hyperparameters.builder().batchSize(32).microBatchSize(4).build()).build();
        assertThat(fromBatch.hyperparameters().gradientAccumulationSteps()).isEqualTo(4);
        JobSpec fromAccumulation = minimal().resources(Resources.gpus(2))
                .hyperparameters(Hyperparameters.builder().gradientAccumulationSteps(3).microBatchSize(2).build())
                .build();
        assertThat(fromAccumulation.hyperparameters().batchSize()).isEqualTo(12);
    }

    @Test
    void build_reportsEveryViolationAtOnce() {
        assertThatThrownBy(() -> JobSpec.builder().method(TrainingMethod.sftLora(LoraConfig.builder().rank(0).build()))
                .hyperparameters(Hyperparameters.builder().epochs(0).maxSteps(10).build()).build())
                .isInstanceOfSatisfying(InvalidSpecException.class, e -> assertThat(e.violations()).extracting(
                        Violation::toString).containsExactly(
                                "/name: is required",
                                "/tenant: is required",
                                "/base_model: is required",
                                "/method/lora/rank: must be between 1 and 1024, got 0",
                                "/hyperparameters/epochs: must be between 1 and 100, got 0",
                                "/hyperparameters/max_steps: set either epochs or max_steps, not both",
                                "/training_data: is required"));
    }

    @Test
    void toBuilder_makesAChangedCopy_andLeavesTheOriginalAlone() {
        JobSpec original = minimal().metadata(Map.of("b", "2", "a", "1")).build();
        JobSpec copy = original.toBuilder().name("other").build();
        assertThat(copy.name()).isEqualTo("other");
        assertThat(original.name()).isEqualTo("job");
        assertThat(copy.toBuilder().name("job").build()).isEqualTo(original).hasSameHashCodeAs(original);
        assertThat(original.metadata().keySet()).containsExactly("a", "b");
        assertThatThrownBy(() -> original.metadata().put("c", "3")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void jobStatus_allowsOnlyTheDocumentedMoves() {
        assertThat(JobStatus.VALIDATING.canBecome(JobStatus.QUEUED)).isTrue();
        assertThat(JobStatus.QUEUED.canBecome(JobStatus.SUCCEEDED)).isFalse();
        assertThat(JobStatus.RUNNING.canBecome(JobStatus.QUEUED)).isTrue();
        for (JobStatus done : List.of(JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)) {
            assertThat(done.isTerminal()).isTrue();
            assertThat(done.next()).isEmpty();
        }
    }

    @Test
    void wireNames_parseIgnoringCase_andListTheChoicesOtherwise() {
        assertThat(WireName.parse(DatasetFormat.class, "Prompt-Completion")).isEqualTo(DatasetFormat.PROMPT_COMPLETION);
        assertThatThrownBy(() -> WireName.parse(Tier.class, "gold")).hasMessage(
                "must be one of enterprise, pro, free, got \"gold\"");
    }

    @Test
    void autoMicroBatch_keepsTheBatch_andRefusesAnAccumulationBesideIt() {
        JobSpec s = minimal().hyperparameters(Hyperparameters.builder().microBatchSizeAuto().batchSize(32).build())
                .resources(Resources.builder().gpus(2).build()).build();
        assertThat(s.hyperparameters().autoMicroBatch()).isTrue();
        assertThat(s.hyperparameters().batchSize()).isEqualTo(32);
        assertThat(s.hyperparameters().gradientAccumulationSteps()).as("derived at admission").isNull();
        assertThat(minimal().hyperparameters(Hyperparameters.builder().microBatchSizeAuto().build()).build()
                .hyperparameters().batchSize()).as("the default micro-batch's batch").isEqualTo(4);
        assertThatThrownBy(() -> minimal().hyperparameters(Hyperparameters.builder().microBatchSizeAuto()
                .gradientAccumulationSteps(4).build()).build()).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("set either micro_batch_size auto or gradient_accumulation_steps");
        assertThatThrownBy(() -> minimal().hyperparameters(Hyperparameters.builder().microBatchSizeAuto().batchSize(5)
                .build()).resources(Resources.builder().gpus(2).build()).build())
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("multiple of the GPU count 2");
    }

    @Test
    void microStepsByTokens_areSftsAndDposDefault_andExamplesWhenAskedFor() {
        assertThat(minimal().build().hyperparameters().tokenMicroSteps()).isTrue();
        assertThat(minimal().method(TrainingMethod.dpoLora()).trainingData(DatasetRef.of("/p.jsonl",
                DatasetFormat.PREFERENCE)).build().hyperparameters().autoMicroBatchTokens()).as("DPO's pairs too")
                .isTrue();
        assertThat(minimal().method(TrainingMethod.embeddingLora()).trainingData(DatasetRef.of("/p.jsonl",
                DatasetFormat.PAIRS)).build().hyperparameters().tokenMicroSteps()).as("an encoder counts examples")
                .isFalse();
        Hyperparameters examples = minimal().hyperparameters(Hyperparameters.builder().microBatchSize(8).build()).build()
                .hyperparameters();
        assertThat(examples.tokenMicroSteps()).isFalse();
        assertThat(minimal().hyperparameters(Hyperparameters.builder().packing(true).build()).build().hyperparameters()
                .tokenMicroSteps()).isFalse();
        Hyperparameters budget = minimal().hyperparameters(Hyperparameters.builder().microBatchTokens(8192).batchSize(6)
                .build()).build().hyperparameters();
        assertThat(budget.microBatchTokens()).isEqualTo(8192);
        assertThat(budget.microBatchSize()).as("the examples a runner without token micro-steps takes: divides 6")
                .isEqualTo(3);
        assertThat(budget.gradientAccumulationSteps()).isEqualTo(2);
        JobSpec again = minimal().hyperparameters(budget).build();
        assertThat(again.hyperparameters()).as("a built spec builds again unchanged").isEqualTo(budget);
    }

    @Test
    void aTokenBudget_isRefused_whereItCannotHold() {
        assertThatThrownBy(() -> minimal().hyperparameters(Hyperparameters.builder().maxSeqLength(4096)
                .microBatchTokens(2048).build()).build()).isInstanceOfSatisfying(InvalidSpecException.class, e ->
                assertThat(e.violations()).extracting(Violation::toString).containsExactly(
                        "/hyperparameters/micro_batch_tokens: must be at least max_seq_length 4096, so that the longest "
                                + "example fits one micro-step, got 2048"));
        assertThatThrownBy(() -> minimal().method(TrainingMethod.dpoLora()).trainingData(DatasetRef.of("/p.jsonl",
                DatasetFormat.PREFERENCE)).hyperparameters(Hyperparameters.builder().maxSeqLength(1024)
                .microBatchTokens(1536).build()).build()).isInstanceOfSatisfying(InvalidSpecException.class, e ->
                assertThat(e.violations()).extracting(Violation::toString).containsExactly(
                        "/hyperparameters/micro_batch_tokens: must be at least twice max_seq_length 1024 for DPO, so "
                                + "that the longest pair (its chosen and rejected rows) fits one micro-step, got 1536"));
        assertThatThrownBy(() -> minimal().method(TrainingMethod.embeddingLora()).trainingData(DatasetRef.of(
                "/p.jsonl", DatasetFormat.PAIRS)).hyperparameters(Hyperparameters.builder().microBatchTokensAuto()
                .build()).build()).hasMessageContaining("/hyperparameters/micro_batch_tokens: only applies to "
                        + "objectives sft and dpo");
        assertThatThrownBy(() -> minimal().hyperparameters(Hyperparameters.builder().microBatchTokensAuto().packing(true)
                .build()).build()).hasMessageContaining("set either packing or micro_batch_tokens");
        assertThatThrownBy(() -> minimal().hyperparameters(Hyperparameters.builder().microBatchTokensAuto()
                .microBatchSizeAuto().build()).build()).hasMessageContaining("set either micro_batch_size auto or "
                        + "micro_batch_tokens");
        assertThatThrownBy(() -> minimal().hyperparameters(Hyperparameters.builder().microBatchTokens(4096)
                .gradientAccumulationSteps(2).build()).build()).hasMessageContaining(
                        "/hyperparameters/gradient_accumulation_steps: micro-steps by tokens are cut");
    }

    @Test
    void theBestCheckpoint_needsValidationData_andAMetricTheObjectiveReports() {
        DatasetRef validation = DatasetRef.of("/data/valid.jsonl", DatasetFormat.CHAT);
        JobSpec best = minimal().validationData(validation).checkpoints(CheckpointPolicy.everySteps(10, 2)
                .bestBy("eval_mean_token_accuracy")).build();
        assertThat(best.checkpoints().best()).isTrue();
        assertThat(best.checkpoints().lowerIsBetter()).isFalse();
        JobSpec byLoss = minimal().validationData(validation).checkpoints(new CheckpointPolicy(10, 2,
                CheckpointSelection.BEST, null)).build();
        assertThat(byLoss.checkpoints().metric()).as("the default metric").isEqualTo("eval_loss");
        assertThat(byLoss.checkpoints().lowerIsBetter()).isTrue();
        assertThat(minimal().build().checkpoints().select()).isEqualTo(CheckpointSelection.LAST);

        assertThatThrownBy(() -> minimal().checkpoints(CheckpointPolicy.everySteps(10, 2).bestBy("eval_loss"))
                .build()).isInstanceOfSatisfying(InvalidSpecException.class, e -> assertThat(e.violations())
                .extracting(Violation::toString).containsExactly("/checkpoints/select: best needs validation_data: "
                        + "the checkpoints are evaluated on it at every save"));
        assertThatThrownBy(() -> minimal().validationData(validation).checkpoints(CheckpointPolicy.everySteps(10, 2)
                .bestBy("eval_rewards/margins")).build()).hasMessageContaining("/checkpoints/metric: must be one of "
                        + "eval_loss, eval_mean_token_accuracy for objective sft, got eval_rewards/margins");
        assertThatThrownBy(() -> minimal().checkpoints(new CheckpointPolicy(10, 2, null, "eval_loss")).build())
                .hasMessageContaining("/checkpoints/metric: only applies with select best");
        assertThatThrownBy(() -> minimal().method(TrainingMethod.embeddingLora()).trainingData(DatasetRef.of(
                "/pairs.jsonl", DatasetFormat.PAIRS)).validationData(DatasetRef.of("/v.jsonl", DatasetFormat.PAIRS))
                .checkpoints(CheckpointPolicy.everySteps(10, 2).bestBy("eval_loss")).build())
                .hasMessageContaining("/checkpoints/select: best is not offered for objective embedding yet");
    }
}
