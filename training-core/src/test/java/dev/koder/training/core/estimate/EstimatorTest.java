package dev.koder.training.core.estimate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assertions.withinPercentage;

import dev.koder.training.api.AdapterType;
import dev.koder.training.api.CostEstimate;
import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.DatasetStats;
import dev.koder.training.api.DpoConfig;
import dev.koder.training.api.EmbeddingConfig;
import dev.koder.training.api.EmbeddingLoss;
import dev.koder.training.api.Hyperparameters;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.LoraConfig;
import dev.koder.training.api.Resources;
import dev.koder.training.api.TrainingMethod;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The estimator against what was measured: the H100 calibration runs (random-init Llama, seq 2048, micro-batch 4,
 * gradient checkpointing, bf16) and the reference model written by transformers.
 */
class EstimatorTest {

    @TempDir
    Path dir;

    /** The 0.85B model of the calibration: hidden 2048, 16 layers, 32 heads, 8 kv heads, vocab 32000. */
    ModelShape llama1b() throws IOException {
        return shape("1b", 2048, 16, 32, 8, 5632, 32000);
    }

    /** The 3B model of the calibration. */
    ModelShape llama3b() throws IOException {
        return shape("3b", 3072, 28, 24, 8, 8192, 32000);
    }

    ModelShape shape(String name, int hidden, int layers, int heads, int kv, int intermediate, int vocab)
            throws IOException {
        return Shapes.llama(dir, name, hidden, layers, heads, kv, intermediate, vocab);
    }

    static JobSpec spec(TrainingMethod method, int epochs) {
        return JobSpec.builder().name("e").tenant("t").baseModel("/m").method(method)
                .hyperparameters(Hyperparameters.builder().epochs(epochs).microBatchSize(4).maxSeqLength(2048)
                        .gradientCheckpointing(true).build())
                .trainingData(DatasetRef.of("/d.jsonl", method.objective() == dev.koder.training.api.Objective.DPO
                        ? DatasetFormat.PREFERENCE : DatasetFormat.CHAT))
                .resources(Resources.builder().gpus(1).gpuType("H100").build()).build();
    }

    static DatasetStats stats(long examples, long tokensPerSequence, long sequences) {
        return new DatasetStats(examples, examples * 2, examples * 400, sequences * tokensPerSequence, true,
                tokensPerSequence, 0, sequences, sequences * tokensPerSequence);
    }

    CostEstimate estimate(JobSpec spec, ModelShape shape, DatasetStats stats) {
        return new Estimator(new Estimator.Pricing(2.5, Map.of("a100", 1.2), "USD")).estimate(spec, stats, shape,
                "NVIDIA H100 80GB HBM3", 79.6, List.of());
    }

    @Test
    void axolotl_startsLonger_andOnACpuTakesTheMeasuredFactorOfTrlsTime_bothLabelled() throws IOException {
        Estimator e = new Estimator(Estimator.Pricing.NONE);
        JobSpec gpu = spec(TrainingMethod.sftLora(), 1);
        CostEstimate trl = e.estimate(gpu, stats(1000, 512, 1000), llama1b(), "NVIDIA H100 80GB HBM3", 79.6, List.of(),
                "trl", null);
        CostEstimate axo = e.estimate(gpu, stats(1000, 512, 1000), llama1b(), "NVIDIA H100 80GB HBM3", 79.6, List.of(),
                "axolotl", null);
        assertThat(axo.wallSeconds() - trl.wallSeconds()).as("its longer start")
                .isCloseTo(Throughput.AXOLOTL_EXTRA_STARTUP_SECONDS, within(0.5));
        assertThat(String.join("\n", axo.breakdown())).contains("axolotl: 19 s more to start, measured on a CPU "
                + "outside CI, assumed on a GPU").contains("runner axolotl assumed as fast as TRL on a GPU");
        JobSpec cpu = gpu.toBuilder().resources(Resources.cpu()).build();
        CostEstimate trlCpu = e.estimate(cpu, stats(1000, 512, 1000), llama1b(), null, null, List.of(), "trl", null);
        CostEstimate axoCpu = e.estimate(cpu, stats(1000, 512, 1000), llama1b(), null, null, List.of(), "axolotl",
                null);
        assertThat(trlCpu.tokensPerSecond() / axoCpu.tokensPerSecond()).isCloseTo(Throughput.AXOLOTL_CPU_SLOWDOWN,
                within(0.01));
        assertThat(String.join("\n", axoCpu.breakdown())).contains("/ 3.5 for axolotl (measured on a CPU outside CI");
    }

    @Test
    void theCalibrationModelsHaveTheirSizes() throws IOException {
        assertThat(llama1b().parameters()).isCloseTo(853_000_000L, withinPercentage(1));
        assertThat(llama3b().parameters()).isCloseTo(3_015_000_000L, withinPercentage(2));
    }

    @Test
    void wellKnownModels_areSizedWithoutBeingDownloaded_asTheirModelCardsSay() {
        record Known(String id, long parameters) {
        }
        for (Known k : List.of(new Known("HuggingFaceTB/SmolLM2-135M-Instruct", 134_500_000L),
                new Known("meta-llama/Llama-3.2-1B-Instruct", 1_236_000_000L),
                new Known("meta-llama/Llama-3.1-8B", 8_030_000_000L),
                new Known("qwen/qwen2.5-7b-instruct", 7_610_000_000L),
                new Known("meta-llama/Llama-3.3-70B-Instruct", 70_550_000_000L))) {
            ModelShape shape = ModelShape.known(k.id()).orElseThrow(() -> new AssertionError(k.id() + " unknown"));
            assertThat(shape.parameters()).as(k.id()).isCloseTo(k.parameters(), withinPercentage(1));
            assertThat(shape.describe()).contains("published config");
        }
        assertThat(ModelShape.known("acme/unknown-7b")).isEmpty();
    }

    @Test
    void wellKnownEncoders_areSizedExactlyAsPublished_andDecoderBasedEmbeddingModelsWithinOnePercent() {
        record Known(String id, long parameters) {
        }
        for (Known k : List.of(new Known("sentence-transformers/all-MiniLM-L6-v2", 22_713_216L),
                new Known("BAAI/bge-base-en-v1.5", 109_482_240L),
                new Known("intfloat/multilingual-e5-base", 278_043_648L),
                new Known("answerdotai/ModernBERT-base", 149_014_272L))) {
            ModelShape shape = ModelShape.known(k.id()).orElseThrow(() -> new AssertionError(k.id() + " unknown"));
            assertThat(shape.encoder()).as(k.id()).isTrue();
            assertThat(shape.parameters()).as(k.id()).isEqualTo(k.parameters());
        }
        ModelShape qwen = ModelShape.known("Qwen/Qwen3-Embedding-0.6B").orElseThrow();
        assertThat(qwen.encoder()).isFalse();
        assertThat(qwen.parameters()).isCloseTo(595_776_512L, withinPercentage(1));
        // peft's matching: "dense" is each of a BERT layer's three dense projections
        ModelShape bge = ModelShape.known("BAAI/bge-base-en-v1.5").orElseThrow();
        assertThat(bge.adapted(List.of("dense")).keySet()).containsExactlyInAnyOrder("attention.output.dense",
                "intermediate.dense", "output.dense");
        assertThat(bge.loraParameters(8, List.of("query", "value"))).isEqualTo(8L * (768 + 768) * 2 * 12);
    }

    static JobSpec embedding(EmbeddingConfig config, int micro) {
        return JobSpec.builder().name("e").tenant("t").baseModel("/m")
                .method(TrainingMethod.embedding(AdapterType.FULL, config))
                .hyperparameters(Hyperparameters.builder().epochs(1).microBatchSize(micro).maxSeqLength(256)
                        .gradientCheckpointing(false).build())
                .trainingData(DatasetRef.of("/pairs.jsonl", DatasetFormat.PAIRS))
                .resources(Resources.builder().gpus(1).gpuType("H100").build()).build();
    }

    @Test
    void anEmbeddingJob_countsEachText_addsTheSimilarityMatrix_andSaysItsThroughputIsAssumed() {
        ModelShape bge = ModelShape.known("BAAI/bge-base-en-v1.5").orElseThrow();
        // 10,000 pairs with one hard negative each: three texts of 64 tokens an example
        DatasetStats pairs = stats(10_000, 64, 30_000);
        Estimator e = new Estimator(Estimator.Pricing.NONE);
        CostEstimate plain = e.estimate(embedding(EmbeddingConfig.defaults(), 512), pairs, bge, "NVIDIA H100 80GB HBM3",
                79.6, List.of(), "sentence-transformers", null);
        String breakdown = String.join("\n", plain.breakdown());
        assertThat(breakdown).contains("10,000 examples of 30,000 sequences").contains("2 special tokens a sequence")
                .contains("1536 sequences a micro-step").contains("in-batch similarity")
                .contains("512 queries x 1024 documents in fp32").contains("assumed: an encoder as fast as a decoder")
                .doesNotContain("logits");
        // 512 x 1024 scores, log-softmax and gradient in fp32
        assertThat(plain.memory().logits()).isGreaterThan(3 * 4.0 * 512 * 1024 / (1 << 30));
        // The cached loss keeps the activations of 32 texts at a time, not of the batch's 1536.
        CostEstimate cached = e.estimate(embedding(EmbeddingConfig.of(EmbeddingLoss.CACHED_MULTIPLE_NEGATIVES_RANKING),
                512), pairs, bge, "NVIDIA H100 80GB HBM3", 79.6, List.of(), "sentence-transformers", null);
        assertThat(cached.memory().activations()).isCloseTo(plain.memory().activations() * 32 / 1536,
                withinPercentage(1));
        CostEstimate matryoshka = e.estimate(embedding(EmbeddingConfig.defaults().withMatryoshkaDims(List.of(768,
                256, 64)), 512), pairs, bge, "NVIDIA H100 80GB HBM3", 79.6, List.of(), "sentence-transformers", null);
        assertThat(matryoshka.memory().logits() - plain.memory().logits()).isCloseTo(2 * 3 * 4.0 * 512 * 1024
                / (1 << 30), withinPercentage(1));
        assertThat(plain.tokens()).isEqualTo(30_000L * (64 + 2));
    }

    @Test
    void loraSftThroughput_isTheMeasuredTrlFigure() throws IOException {
        // sequences that fill max_seq_length: micro-steps of 4 x 2,048 tokens, the sweep's reference
        CostEstimate e = estimate(spec(TrainingMethod.sftLora(), 1), llama1b(), stats(10_000, 2_040, 10_000));
        assertThat(e.tokensPerSecond()).as("the TRL runner's SFT LoRA at 0.85B measured 27,170 tokens/s in the GPU "
                + "sweep (an H200, the H100's bf16 throughput)").isCloseTo(27_170, withinPercentage(2));
        assertThat(e.tokens()).as("content plus chat-template tokens of 2 messages each, cut at max_seq_length")
                .isEqualTo(10_000L * 2_048);
        assertThat(e.wallSeconds()).isCloseTo(e.tokens() / 27_170.0 + 20 + 8.53, withinPercentage(2));
        assertThat(e.gpuHours()).isCloseTo(e.wallSeconds() / 3600, withinPercentage(0.01));
        assertThat(e.price()).isCloseTo(e.gpuHours() * 2.5, withinPercentage(0.01));
        assertThat(e.trainableParameters()).isEqualTo(llama1b().loraParameters(16, List.of("all-linear")));
        assertThat(e.breakdown()).anySatisfy(l -> assertThat(l).startsWith("throughput: 27,1").contains("calibration"));
    }

    @Test
    void peakMemory_isWithinAQuarterOfWhatTheH100Measured() throws IOException {
        record Case(TrainingMethod method, ModelShape shape, double measured) {
        }
        for (Case c : List.of(new Case(TrainingMethod.sftLora(), llama1b(), 5.25),
                new Case(TrainingMethod.sftFull(), llama1b(), 8.39),
                new Case(TrainingMethod.dpo(AdapterType.LORA, DpoConfig.defaults()), llama1b(), 8.74),
                new Case(TrainingMethod.sftLora(), llama3b(), 10.29),
                new Case(TrainingMethod.sftFull(), llama3b(), 23.55),
                new Case(TrainingMethod.dpo(AdapterType.LORA, DpoConfig.defaults()), llama3b(), 14.62))) {
            CostEstimate e = estimate(spec(c.method(), 1), c.shape(), stats(100, 2048, 100));
            assertThat(e.memory().total()).as("%s at %d params", c.method().label(), c.shape().parameters())
                    .isCloseTo(c.measured(), withinPercentage(25));
            assertThat(e.fits()).isTrue();
        }
    }

    @Test
    void aModelTooBigForTheGpu_doesNotFit_andTheBreakdownSaysSo() throws IOException {
        ModelShape eight = shape("8b", 4096, 32, 32, 8, 14336, 128256);
        JobSpec fp32 = JobSpec.builder().name("e").tenant("t").baseModel("/m").method(TrainingMethod.sftFull())
                .hyperparameters(Hyperparameters.builder().epochs(1).microBatchSize(4).maxSeqLength(2048)
                        .precision(dev.koder.training.api.Precision.FP32).build())
                .trainingData(DatasetRef.of("/d.jsonl", DatasetFormat.CHAT))
                .resources(Resources.builder().gpus(1).gpuType("H100").build()).build();
        CostEstimate e = estimate(fp32, eight, stats(100, 2048, 100));
        assertThat(e.parameters()).isCloseTo(8_030_000_000L, withinPercentage(1));
        assertThat(e.fits()).isFalse();
        assertThat(e.breakdown()).anySatisfy(l -> assertThat(l).contains("DOES NOT FIT"));
        CostEstimate q = estimate(spec(TrainingMethod.qlora(), 1), eight, stats(100, 2048, 100));
        assertThat(q.memory().weights()).isLessThan(e.memory().weights() / 2.5);
        assertThat(q.fits()).isTrue();
    }

    @Test
    void dpo_countsBothAnswers_andTheReferenceForward() throws IOException {
        CostEstimate sft = estimate(spec(TrainingMethod.sftLora(), 1), llama1b(), stats(1000, 1000, 1000));
        CostEstimate dpo = estimate(spec(TrainingMethod.dpo(AdapterType.LORA, DpoConfig.defaults()), 1), llama1b(),
                stats(1000, 1000, 2000));
        int t = Estimator.TEMPLATE_TOKENS_PER_MESSAGE;
        assertThat(sft.tokens()).isEqualTo(1_000_000 + t * 2000L);
        assertThat(dpo.tokens()).as("both answers, the prompt's template in each").isEqualTo(2_000_000 + t * 3000L);
        assertThat(dpo.flops() / dpo.tokens()).isGreaterThan(sft.flops() / sft.tokens());
    }

    @Test
    void otherGpus_areScaledByTheirBf16Throughput_andPricedByType() throws IOException {
        JobSpec a100 = JobSpec.builder().name("e").tenant("t").baseModel("/m").method(TrainingMethod.sftLora())
                .hyperparameters(Hyperparameters.builder().epochs(1).microBatchSize(4).maxSeqLength(2048)
                        .gradientCheckpointing(true).build())
                .trainingData(DatasetRef.of("/d.jsonl", DatasetFormat.CHAT))
                .resources(Resources.builder().gpus(2).gpuType("A100").build()).build();
        CostEstimate h = estimate(spec(TrainingMethod.sftLora(), 1), llama1b(), stats(1000, 512, 1000));
        CostEstimate a = new Estimator(new Estimator.Pricing(2.5, Map.of("a100", 1.2), "USD")).estimate(a100,
                stats(1000, 512, 1000), llama1b(), "A100", 40.0, List.of());
        assertThat(a.device()).isEqualTo("A100");
        assertThat(a.tokensPerSecond()).isCloseTo(h.tokensPerSecond() * 312 / 989 * 2 * 0.9, withinPercentage(1));
        assertThat(a.price()).isCloseTo(a.gpuHours() * 1.2, withinPercentage(0.01));
    }

    @Test
    void finishedJobsOfTheSameKind_calibrateTheThroughput() throws IOException {
        ModelShape m = llama1b();
        CostEstimate measured = new Estimator(Estimator.Pricing.NONE).estimate(spec(TrainingMethod.sftLora(), 1),
                stats(1000, 512, 1000), m, "NVIDIA H100 80GB HBM3", 80.0, List.of(
                        new Estimator.Measured("H100", "sft+lora with trl", m.parameters(), 30_000),
                        new Estimator.Measured("H100", "sft+lora with trl", m.parameters(), 31_000),
                        new Estimator.Measured("A100", "sft+lora with trl", m.parameters(), 5_000),
                        new Estimator.Measured("H100", "dpo+lora with trl", m.parameters(), 1_000)));
        assertThat(measured.tokensPerSecond()).isEqualTo(31_000);
        assertThat(measured.basis()).startsWith("measured: median of 2 finished sft+lora with trl jobs on H100");
        assertThat(measured.price()).isNull();
    }

    @Test
    void smallMicroSteps_runSlower_andTheBreakdownNamesThePointsAndTheShape() throws IOException {
        ModelShape seven = shape("7b", 4096, 32, 32, 8, 14336, 128256);
        JobSpec big = JobSpec.builder().name("e").tenant("t").baseModel("/m").method(TrainingMethod.sftFull())
                .hyperparameters(Hyperparameters.builder().epochs(1).microBatchSize(4).maxSeqLength(2048).build())
                .trainingData(DatasetRef.of("/d.jsonl", DatasetFormat.CHAT))
                .resources(Resources.builder().gpus(1).gpuType("H100").build()).build();
        JobSpec small = big.toBuilder().hyperparameters(Hyperparameters.builder().epochs(1).batchSize(1)
                .microBatchSize(1).maxSeqLength(1024).build()).build();
        CostEstimate atCalibration = estimate(big, seven, stats(100, 2048, 100));
        CostEstimate atSmall = estimate(small, seven, stats(100, 1024, 100));
        // Measured on an H200 with a 6.7B Llama: 0.64 of the speed at 8,192 tokens a micro-step.
        assertThat(atSmall.tokensPerSecond() / atCalibration.tokensPerSecond()).isBetween(0.5, 0.7);
        assertThat(atCalibration.basis()).contains("extrapolated from the measured points at 3.02B (13,989 tokens/s, "
                + "NVIDIA H200 TRL runner) and 6.74B (7,545").doesNotContain("a micro-step on each GPU");
        assertThat(atSmall.basis()).contains("for 1,024 tokens (padding included) a micro-step on each GPU").contains("fixed overhead")
                .contains("fitted to the sweep");
        assertThat(estimate(spec(TrainingMethod.sftLora(), 1), llama1b(), stats(100, 2048, 100)).basis())
                .contains("between the measured points at 0.13B (50,562 tokens/s, H100 plain loop x TRL) and 0.85B "
                        + "(27,170, NVIDIA H200 TRL runner)");
    }

    @Test
    void measuredPeaksOfSimilarJobs_raiseTheMemoryEstimate_butNeverLowerIt() throws IOException {
        ModelShape m = llama1b();
        Estimator est = new Estimator(Estimator.Pricing.NONE);
        CostEstimate plain = est.estimate(spec(TrainingMethod.sftLora(), 1), stats(1000, 512, 1000), m,
                "NVIDIA H100 80GB HBM3", 80.0, List.of());
        CostEstimate corrected = est.estimate(spec(TrainingMethod.sftLora(), 1), stats(1000, 512, 1000), m,
                "NVIDIA H100 80GB HBM3", 80.0, List.of(
                        new Estimator.Measured("H100", "sft+lora with trl", m.parameters(), 30_000, 1.3),
                        new Estimator.Measured("H100", "sft+lora with trl", m.parameters(), 30_000, 1.5),
                        new Estimator.Measured("H100", "sft+lora with trl", m.parameters(), 30_000, 1.4),
                        new Estimator.Measured("H100", "dpo+lora with trl", m.parameters(), 30_000, 3.0)));
        assertThat(corrected.memory().total()).isCloseTo(plain.memory().total() * 1.4, withinPercentage(0.01));
        assertThat(corrected.breakdown().get(corrected.breakdown().size() - 1))
                .contains("x 1.40: the median measured / estimated peak of 3 finished sft+lora with trl jobs on H100");
        CostEstimate low = est.estimate(spec(TrainingMethod.sftLora(), 1), stats(1000, 512, 1000), m,
                "NVIDIA H100 80GB HBM3", 80.0, List.of(new Estimator.Measured("H100", "sft+lora with trl",
                        m.parameters(), 30_000, 0.5)));
        assertThat(low.memory().total()).isEqualTo(plain.memory().total());
    }

    @Test
    void theReferenceModelsParameterCount_comesFromItsWeights_andMatchesTheConfigFormula() throws IOException {
        ModelShape ref = ModelShape.read(Path.of("src/test/resources/hf-artifacts/tiny-llama"));
        assertThat(ref.exact()).isTrue();
        assertThat(ref.parameters()).isEqualTo(106_816);
        Path configOnly = dir.resolve("config-only");
        Files.createDirectories(configOnly);
        Files.copy(Path.of("src/test/resources/hf-artifacts/tiny-llama/config.json"), configOnly.resolve("config.json"));
        ModelShape formula = ModelShape.read(configOnly);
        assertThat(formula.exact()).isFalse();
        assertThat(formula.parameters()).isEqualTo(106_816);
        assertThat(ref.loraParameters(4, List.of("all-linear"))).as("what peft's adapter file holds").isEqualTo(8_192);
        assertThat(ref.loraParameters(4, List.of("q_proj", "v_proj"))).isEqualTo(2 * (4 * 128 + 4 * 96));
        assertThat(LoraConfig.defaults().rank()).isEqualTo(16);
    }

    @Test
    void shortSequences_makeSmallMicroSteps_whichTheFixedCostOfAStepDominates() throws IOException {
        // Measured on an H200 (docs/BENCHMARKS.md): a 0.12B Llama, LoRA SFT on 25-token chat examples in micro-batches
        // of 16, trained at about 1,900 tokens/s; sized by max_seq_length the micro-steps would be 16 x 2,048 tokens.
        CostEstimate full = estimate(spec(TrainingMethod.sftLora(), 1), llama1b(), stats(10_000, 2_040, 10_000));
        CostEstimate tiny = estimate(spec(TrainingMethod.sftLora(), 1), llama1b(), stats(10_000, 20, 10_000));
        assertThat(tiny.tokensPerSecond()).isLessThan(full.tokensPerSecond() / 5);
        assertThat(tiny.breakdown()).anySatisfy(l -> assertThat(l).contains("for 120 tokens (padding included) a micro-step"));
    }
}
