package dev.koder.training.core.estimate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import dev.koder.training.api.AdapterType;
import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.DatasetStats;
import dev.koder.training.api.DpoConfig;
import dev.koder.training.api.Hyperparameters;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.LengthHistogram;
import dev.koder.training.api.Objective;
import dev.koder.training.api.Resources;
import dev.koder.training.api.Strategy;
import dev.koder.training.api.TrainingMethod;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The estimate's arithmetic, read from its figures and the recipe's choices rather than from the breakdown's words;
 * the last test holds the words to their figures and labels.
 */
class EstimateArithmeticTest {

    static final String H100 = "NVIDIA H100 80GB HBM3";

    @TempDir
    Path dir;

    final Estimator estimator = new Estimator(new Estimator.Pricing(2.5, Map.of(), "USD"));

    ModelShape model() throws IOException {
        return Shapes.llama(dir, "0.85b", 2048, 16, 32, 8, 5632, 32000);
    }

    static JobSpec spec(TrainingMethod method, Hyperparameters.Builder h, Resources resources) {
        return JobSpec.builder().name("a").tenant("t").baseModel("/m").method(method)
                .hyperparameters(h.maxSeqLength(2048).build())
                .trainingData(DatasetRef.of("/d.jsonl", method.objective() == Objective.DPO ? DatasetFormat.PREFERENCE
                        : DatasetFormat.CHAT))
                .resources(resources).build();
    }

    static Hyperparameters.Builder fixed() {
        return Hyperparameters.builder().epochs(2).microBatchSize(4).gradientCheckpointing(true);
    }

    /** 1,000 examples of 2 messages, 500 content tokens each, all within max_seq_length. */
    static DatasetStats stats() {
        return new DatasetStats(1000, 2000, 2_000_000, 500_000, true, 500, 0, 1000, 500_000);
    }

    Figures figures(JobSpec spec, ModelShape model, List<Estimator.Measured> measured) {
        return estimator.figures(spec, stats(), model, H100, 79.6, measured, "trl");
    }

    @Test
    void tokens_areTheContentPlusTheTemplatesTokens_timesTheEpochs_orTheSteps() throws IOException {
        Figures f = figures(spec(TrainingMethod.sftLora(), fixed(), Resources.builder().gpus(1).build()), model(),
                List.of());
        long template = Estimator.TEMPLATE_TOKENS_PER_MESSAGE * 2000L;
        assertThat(f.templateTokens()).isEqualTo(template);
        assertThat(f.tokensPerEpoch()).isEqualTo(500_000 + template);
        assertThat(f.tokens()).isEqualTo(2 * (500_000 + template));
        assertThat(f.tokensPerSequence()).isCloseTo(510.0, offset(1e-9));

        Figures steps = figures(spec(TrainingMethod.sftLora(), Hyperparameters.builder().maxSteps(30).batchSize(8)
                .microBatchSize(4).gradientCheckpointing(true),
                Resources.builder().gpus(1).build()), model(), List.of());
        assertThat(steps.sequencesPerStep()).isEqualTo(8);
        assertThat(steps.tokens()).isEqualTo(Math.round(30 * 8 * 510.0));

        // DPO's prompt goes into both sequences of a pair: a template's worth more a pair, and two sequences a pair
        Figures dpo = estimator.figures(spec(TrainingMethod.dpo(AdapterType.LORA, DpoConfig.defaults()), fixed(),
                Resources.builder().gpus(1).build()), stats(), model(), H100, 79.6, List.of(), "trl");
        assertThat(dpo.templateTokens()).isEqualTo(Estimator.TEMPLATE_TOKENS_PER_MESSAGE * (2000L + 1000));
        assertThat(dpo.sequencesPerExample()).isEqualTo(2.0);
    }

    @Test
    void flops_areFourOrSixTimesTheParametersAToken_plusRecomputationAndTheReference() throws IOException {
        ModelShape m = model();
        Resources one = Resources.builder().gpus(1).build();
        Figures lora = figures(spec(TrainingMethod.sftLora(), fixed().gradientCheckpointing(false), one), m, List.of());
        Figures full = figures(spec(TrainingMethod.sftFull(), fixed(), one), m, List.of());
        Figures dpo = figures(spec(TrainingMethod.dpo(AdapterType.LORA, DpoConfig.defaults()), fixed(), one), m, List.of());
        assertThat(lora.flopsPerToken()).isEqualTo(4.0);
        assertThat(full.flopsPerToken()).isEqualTo(8.0);
        assertThat(dpo.flopsPerToken()).isEqualTo(8.0);
        assertThat(full.flops()).isCloseTo(8.0 * m.parameters() * full.tokens(), offset(1.0));
    }

    @Test
    void throughput_isItsBaseTimesEachFactor_andEachFactorIsTheOneItNames() throws IOException {
        ModelShape m = model();
        // QLoRA without checkpointing on an A100, on data whose random micro-batches pad
        Long[] counts = new Long[113];
        java.util.Arrays.fill(counts, 0L);
        counts[2] = 400L; // 16-23 tokens
        counts[5] = 300L; // 40-47
        counts[50] = 200L; // 400-407
        counts[112] = 100L; // 896-903
        LengthHistogram lengths = new LengthHistogram(LengthHistogram.bucketWidth(2048), List.of(counts));
        DatasetStats varied = new DatasetStats(1000, 2000, 2_000_000, 200_000, true, 900, 0, 1000, 200_000, lengths);
        JobSpec spec = spec(TrainingMethod.qlora(), fixed().gradientCheckpointing(false),
                Resources.builder().gpus(1).build());
        Figures f = estimator.figures(spec, varied, m, "NVIDIA A100-SXM4-80GB", 80.0, List.of(), "trl");
        Throughput t = f.throughput();
        double product = t.base();
        for (Throughput.Factor factor : t.factors()) {
            product *= factor.value();
        }
        assertThat(t.tokensPerSecond()).isCloseTo(product, offset(1e-9 * product));
        assertThat(t.base()).isEqualTo(estimator.table().interpolate("lora", m.parameters() / 1e9));
        assertThat(f.micro().paddingFraction()).isGreaterThan(0.05);
        assertThat(t.factor(Throughput.Cause.PADDING)).isCloseTo(1 - f.micro().paddingFraction(), offset(1e-12));
        assertThat(t.factor(Throughput.Cause.QLORA)).isEqualTo(estimator.table().qlora);
        assertThat(t.factor(Throughput.Cause.NO_CHECKPOINTING)).isEqualTo(estimator.table().noCheckpointing.get("lora"));
        assertThat(t.factor(Throughput.Cause.GPU)).isCloseTo(GpuModels.find("A100").orElseThrow().bf16Tflops()
                / GpuModels.reference().bf16Tflops(), offset(1e-12));
        assertThat(t.factor(Throughput.Cause.PACKING)).isEqualTo(1.0);
        assertThat(t.factor(Throughput.Cause.RUNNER)).isEqualTo(1.0);

        Figures unsloth = estimator.figures(spec, varied, m, "NVIDIA A100-SXM4-80GB", 80.0, List.of(), "unsloth");
        assertThat(unsloth.throughput().factor(Throughput.Cause.RUNNER)).isEqualTo(Throughput.UNSLOTH_FACTOR);
        assertThat(unsloth.tokensPerSecond()).isCloseTo(f.tokensPerSecond() * Throughput.UNSLOTH_FACTOR,
                offset(1e-6));
    }

    @Test
    void severalGpus_keepTheAssumedShareADoubling_andTimeAndPriceFollowFromTheRate() throws IOException {
        ModelShape m = model();
        Figures one = figures(spec(TrainingMethod.sftLora(), fixed(), Resources.builder().gpus(1).build()), m, List.of());
        Figures four = figures(spec(TrainingMethod.sftLora(), fixed(), Resources.builder().gpus(4)
                .strategy(Strategy.DDP).build()), m, List.of());
        assertThat(one.scaling()).isEqualTo(1.0);
        assertThat(four.scaling()).isCloseTo(Throughput.SCALING_PER_DOUBLING * Throughput.SCALING_PER_DOUBLING,
                offset(1e-12));
        assertThat(four.tokensPerSecond()).isCloseTo(one.tokensPerSecond() * 4 * four.scaling(), offset(1e-6));

        assertThat(four.loadSeconds()).isCloseTo(Throughput.STARTUP_SECONDS
                + Estimator.LOAD_SECONDS_PER_BILLION * m.parameters() / 1e9, offset(1e-9));
        assertThat(four.trainSeconds()).isCloseTo(four.tokens() / four.tokensPerSecond(), offset(1e-9));
        assertThat(four.wallSeconds()).isCloseTo(four.trainSeconds() + four.loadSeconds(), offset(1e-9));
        assertThat(four.gpuHours()).isCloseTo(4 * four.wallSeconds() / 3600, offset(1e-12));
        assertThat(four.rate()).isEqualTo(2.5);
        assertThat(four.price()).isCloseTo(four.gpuHours() * 2.5, offset(1e-12));

        Figures cpu = figures(spec(TrainingMethod.sftLora(), fixed(), Resources.cpu()), m, List.of());
        assertThat(cpu.gpuHours()).isZero();
        assertThat(cpu.price()).isNull();
    }

    @Test
    void memory_isRaisedByWhatSimilarJobsPeakedAt_neverLowered() throws IOException {
        ModelShape m = model();
        JobSpec spec = spec(TrainingMethod.sftLora(), fixed(), Resources.builder().gpus(1).build());
        Figures plain = figures(spec, m, List.of());
        String kind = Estimator.kind(spec.method().label(), "trl");
        List<Estimator.Measured> high = List.of(new Estimator.Measured("H100", kind, m.parameters(), 1000, 1.2),
                new Estimator.Measured("H100", kind, m.parameters(), 1000, 1.5),
                new Estimator.Measured("H100", kind, m.parameters(), 1000, 1.4));
        Figures raised = figures(spec, m, high);
        assertThat(raised.memoryCorrection()).isEqualTo(1.4);
        assertThat(raised.memoryCorrectionJobs()).isEqualTo(3);
        assertThat(raised.memory().total()).isCloseTo(plain.memory().total() * 1.4, offset(1e-9));

        Figures low = figures(spec, m, List.of(new Estimator.Measured("H100", kind, m.parameters(), 1000, 0.6)));
        assertThat(low.memoryCorrection()).isNull();
        assertThat(low.memory().total()).isEqualTo(plain.memory().total());
        assertThat(plain.fits()).isTrue();
        assertThat(plain.limitGib()).isEqualTo(79.6);
    }

    RecipeSearch.Result search(JobSpec spec, ModelShape m) {
        return new RecipeSearch(estimator, stats(), m, H100, 79.6, List.of(), "trl").search(spec);
    }

    @Test
    void strategy_shardsAFullFineTuneWhoseStateDoesNotFitOneGpu_andSaysWhatItWeighed() throws IOException {
        ModelShape b13 = Shapes.llama(dir, "13b", 5120, 40, 40, 40, 13824, 32000);
        Resources eight = Resources.builder().gpus(8).strategy(Strategy.AUTO).build();
        RecipeSearch.Result full = search(spec(TrainingMethod.sftFull(), fixed(), eight), b13);
        Choice.StrategyChoice s = (Choice.StrategyChoice) full.choices().get(0);
        assertThat(s.strategy()).isEqualTo(Strategy.FSDP);
        assertThat(s.reason()).isEqualTo(Choice.StrategyReason.SHARDED);
        // bf16 weights and gradients, and the optimizer's two states in the weights' bytes: 8 bytes a parameter
        assertThat(s.stateGib()).isCloseTo(b13.parameters() * 2.0 * 4 / Estimator.GIB, offset(0.01));
        assertThat(s.stateGib()).isGreaterThan(Recipe.MEMORY_SHARE * 79.6);
        assertThat(full.spec().resources().strategy()).isEqualTo(Strategy.FSDP);

        // an adapter's frozen base is not sharded, even where it alone does not fit one GPU
        ModelShape b39 = Shapes.llama(dir, "39b", 8192, 48, 64, 8, 28672, 32000);
        Choice.StrategyChoice lora = (Choice.StrategyChoice) search(spec(TrainingMethod.sftLora(), fixed(), eight), b39)
                .choices().get(0);
        assertThat(lora.stateGib()).isGreaterThan(Recipe.MEMORY_SHARE * 79.6);
        assertThat(lora.strategy()).isEqualTo(Strategy.DDP);
        assertThat(lora.reason()).isEqualTo(Choice.StrategyReason.ADAPTER);

        Choice.StrategyChoice small = (Choice.StrategyChoice) search(spec(TrainingMethod.sftFull(), fixed(), eight),
                model()).choices().get(0);
        assertThat(small.reason()).isEqualTo(Choice.StrategyReason.FITS_ONE_GPU);
        assertThat(small.stateGib()).isLessThanOrEqualTo(Recipe.MEMORY_SHARE * 79.6);
    }

    @Test
    void autoValues_areTheFastestThatFit_andTheChoicesHoldTheFiguresBehindThem() throws IOException {
        ModelShape m = model();
        Resources one = Resources.builder().gpus(1).build();
        JobSpec auto = spec(TrainingMethod.sftLora(), Hyperparameters.builder().epochs(1).batchSize(32)
                .microBatchSizeAuto().gradientCheckpointingAuto(), one);
        RecipeSearch.Result r = search(auto, m);
        Choice.Checkpointing c = (Choice.Checkpointing) r.choices().get(0);
        Choice.MicroBatch mb = (Choice.MicroBatch) r.choices().get(1);
        Hyperparameters chosen = r.spec().hyperparameters();
        assertThat(c.on()).isEqualTo(chosen.gradientCheckpointing());
        assertThat(c.on()).isEqualTo(c.peakWithoutGib() > Recipe.MEMORY_SHARE * 79.6);
        assertThat(c.speedup()).isEqualTo(estimator.table().noCheckpointing.get("lora"));
        assertThat(mb.micro() * mb.accumulation()).isEqualTo(32);
        assertThat(mb.micro()).isEqualTo(chosen.microBatchSize());

        // nothing tried (a divisor of the batch, either checkpointing setting) that fits is faster
        Figures best = figures(r.spec(), m, List.of());
        assertThat(best.memory().total()).isLessThanOrEqualTo(Recipe.MEMORY_SHARE * 79.6);
        for (boolean checkpointing : List.of(false, true)) {
            for (int micro : Recipe.divisorsDescending(32, Recipe.MAX_AUTO_MICRO_BATCH)) {
                Figures other = figures(Recipe.with(auto, checkpointing, micro), m, List.of());
                if (other.memory().total() <= Recipe.MEMORY_SHARE * 79.6) {
                    assertThat(other.tokensPerSecond()).isLessThanOrEqualTo(best.tokensPerSecond());
                }
            }
        }
        if (mb.larger() != null) {
            assertThat(mb.larger()).isGreaterThan(mb.micro());
            assertThat(mb.largerGib()).isEqualTo(figures(Recipe.with(auto, chosen.gradientCheckpointing(),
                    mb.larger()), m, List.of()).memory().total());
        }
    }

    @Test
    void dposTokenBudget_countsAPairAsTwoRows() throws IOException {
        ModelShape m = model();
        JobSpec dpo = spec(TrainingMethod.dpo(AdapterType.LORA, DpoConfig.defaults()), Hyperparameters.builder()
                .epochs(1).batchSize(32), Resources.builder().gpus(1).build());
        assertThat(dpo.hyperparameters().autoMicroBatchTokens()).as("DPO's default").isTrue();
        RecipeSearch.Result r = search(dpo, m);
        Choice.TokenBudget budget = (Choice.TokenBudget) r.choices().stream()
                .filter(c -> c instanceof Choice.TokenBudget).findFirst().orElseThrow();
        assertThat(budget.pairs()).isTrue();
        assertThat(budget.budget() % (2 * 2048)).as("whole pairs of two max_seq_length rows").isZero();
        assertThat(RecipeSearch.budgets(32, 2 * 2048)).contains(budget.budget());
        Figures f = figures(r.spec(), m, List.of());
        // without a histogram every sequence is at the mean: a step's 32 pairs are 64 such rows, cut in whole pairs
        assertThat(f.micro().padded()).isLessThanOrEqualTo(budget.budget());
        assertThat(f.micro().microStepsPerStep() * f.micro().tokens()).isCloseTo(32 * 2 * f.tokensPerSequence(),
                offset(1e-6));
    }

    @Test
    void theWords_sayTheFigures_andLabelWhatWasNotMeasuredAsAssumed() throws IOException {
        ModelShape m = model();
        JobSpec spec = spec(TrainingMethod.sftLora(), fixed(), Resources.builder().gpus(4).strategy(Strategy.DDP)
                .build());
        Figures f = figures(spec, m, List.of());
        List<String> lines = Breakdown.lines(spec, m, "trl", null, List.of(), f, "USD");
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("tokens:")
                .contains(String.format("%,d", f.tokens())).contains("chat-template tokens a message, assumed"));
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("throughput:")
                .contains(String.format("x %.2f for 4 GPUs (assumed: 90%% scaling per doubling", f.scaling())));
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("time:")
                .contains("(assumed: 20 s to start and 10 s a billion parameters to load)"));
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("memory per GPU:")
                .contains(String.format("overhead %.2f (assumed", f.memory().overhead())));
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("GPU-hours: 4 GPUs")
                .contains(String.format("= %.2f USD", f.price())));
        assertThat(Breakdown.choice(new Choice.MicroBatch(4, 8, 32, 79.6, 8, 70.25)))
                .isEqualTo("recipe: micro-batch 4 x accumulation 8 = batch 32 (auto: the fastest that fits 85% of "
                        + "the GPU's 80 GiB; 8 would need 70.3 GiB)");
    }
}
