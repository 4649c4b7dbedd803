package dev.koder.training.core.estimate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.koder.training.api.CostEstimate;
import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.DatasetStats;
import dev.koder.training.api.Hyperparameters;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.LengthHistogram;
import dev.koder.training.api.Resources;
import dev.koder.training.api.TrainingMethod;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What micro-steps hold, worked out from a length histogram: the same cuts the trainer makes (token_batching.py),
 * the padding of random batches, and the estimate that follows from both.
 */
class BatchingTest {

    @TempDir
    Path dir;

    @Test
    void aStepIsCutAsTheTrainerCutsIt() {
        // The exactness test's step (runner-trl TokenBatchingTest): the trainer made these micro-steps of it.
        int[] step = {17, 34, 51, 68, 85, 102, 17, 34, 51, 68, 85, 102};
        List<int[]> chunks = Batching.chunks(step, 204);
        assertThat(chunks).extracting(c -> c.length * c[0]).containsExactly(204, 170, 204, 204, 17);
        assertThat(chunks.stream().mapToInt(c -> c.length).sum()).isEqualTo(12);
        assertThat(Batching.chunks(new int[] {300, 5}, 204)).extracting(c -> c.length)
                .as("a row over the budget goes alone").containsExactly(1, 1);
    }

    @Test
    void randomBatches_padToTheExpectedLongest() {
        int[] halfAndHalf = new int[1000];
        Arrays.fill(halfAndHalf, 0, 500, 10);
        Arrays.fill(halfAndHalf, 500, 1000, 100);
        Batching.MicroSteps two = Batching.ofExamples(halfAndHalf, 2, 3);
        // the longest of two: 100 unless both are short (a quarter of the time)
        assertThat(two.padded()).isCloseTo(2 * (0.75 * 100 + 0.25 * 10), within(0.5));
        assertThat(two.tokens()).isCloseTo(2 * 55, within(1e-9));
        assertThat(two.microStepsPerStep()).isEqualTo(3);
        int[] same = new int[100];
        Arrays.fill(same, 64);
        assertThat(Batching.ofExamples(same, 8, 1).paddingFraction()).isCloseTo(0, within(1e-12));
    }

    @Test
    void groupingByLength_leavesLittlePadding_whereRandomBatchesLeaveMuch() {
        int[] lengths = logNormal(4000, 2048);
        Batching.MicroSteps random = Batching.ofExamples(lengths, 8, 1);
        Batching.MicroSteps grouped = Batching.ofTokens(lengths, 8, 8 * 2048, 42);
        assertThat(random.paddingFraction()).isGreaterThan(0.4);
        assertThat(grouped.paddingFraction()).isLessThan(0.05);
        assertThat(grouped.microStepsPerStep()).as("a step of 8 fits one budget of 8 x max_seq_length").isEqualTo(1);
        Batching.MicroSteps tight = Batching.ofTokens(lengths, 64, 4096, 42);
        assertThat(tight.padded()).isLessThanOrEqualTo(4096);
        assertThat(tight.microStepsPerStep()).isGreaterThan(1);
    }

    @Test
    void dpoPairsGroupedByLength_padLessThanRandomPairs_andCountEverySequence() {
        int[] lengths = logNormal(4000, 2048);
        double mean = Arrays.stream(lengths).average().orElseThrow();
        Batching.MicroSteps grouped = Batching.ofGroupedPairs(lengths, 4, 2, 42);
        Batching.MicroSteps random = Batching.ofExamples(lengths, 8, 2);
        assertThat(grouped.tokens()).as("4 pairs, 8 sequences a micro-batch").isCloseTo(8 * mean, within(1e-6));
        assertThat(grouped.microStepsPerStep()).isEqualTo(2);
        assertThat(grouped.paddingFraction()).isLessThan(random.paddingFraction() - 0.1);
        int[] same = new int[100];
        Arrays.fill(same, 64);
        assertThat(Batching.ofGroupedPairs(same, 4, 1, 1).paddingFraction()).isCloseTo(0, within(1e-12));
    }

    @Test
    void aHistogramsQuantiles_keepItsMean() {
        int[] lengths = logNormal(10_000, 2048);
        LengthHistogram histogram = statsOf(lengths).lengthHistogram();
        int width = histogram.bucketTokens();
        int[] drawn = Batching.lengths(histogram, 5000, 0, 2048);
        assertThat(drawn).hasSize(5000);
        assertThat(Arrays.stream(drawn).average().orElseThrow())
                .isCloseTo(Arrays.stream(lengths).average().orElseThrow(), within((double) width));
        assertThat(Arrays.stream(Batching.lengths(histogram, 10, 5, 2048)).min().orElseThrow())
                .as("the template's tokens added").isGreaterThan(5);
    }

    @Test
    void theEstimate_readsPaddingAndMicroStepsFromTheHistogram_andRunsFasterByTokens() throws IOException {
        ModelShape model = Shapes.llama(dir, "0.5b", 896, 24, 14, 2, 4864, 151936);
        DatasetStats stats = statsOf(logNormal(4000, 2048));
        JobSpec tokens = spec(Hyperparameters.builder().batchSize(16));
        JobSpec examples = spec(Hyperparameters.builder().batchSize(16).microBatchSize(4));
        Estimator e = new Estimator(Estimator.Pricing.NONE);
        Recipe r = e.recipe(tokens, stats, model, "NVIDIA H100 80GB HBM3", 79.6, List.of(), "trl", null);
        CostEstimate byTokens = r.estimate();
        CostEstimate byExamples = e.estimate(examples, stats, model, "NVIDIA H100 80GB HBM3", 79.6, List.of());
        int budget = r.spec().hyperparameters().microBatchTokens();
        assertThat(budget).as("the largest tried: the step's 16 examples at max_seq_length").isEqualTo(16 * 2048);
        assertThat(byTokens.batching().microBatchTokens()).isEqualTo(budget);
        assertThat(byTokens.batching().fromHistogram()).isTrue();
        assertThat(byTokens.batching().paddingFraction()).isLessThan(0.05);
        assertThat(byExamples.batching().microBatchTokens()).isNull();
        assertThat(byExamples.batching().paddingFraction()).isGreaterThan(0.3);
        assertThat(byTokens.batching().tokensPerMicroStep()).isGreaterThan(3 * byExamples.batching()
                .tokensPerMicroStep());
        assertThat(byTokens.tokensPerSecond()).isGreaterThan(1.5 * byExamples.tokensPerSecond());
        assertThat(byTokens.memory().total()).isLessThanOrEqualTo(0.85 * 79.6);
        assertThat(r.lines()).anySatisfy(l -> assertThat(l).startsWith("recipe: micro-steps of up to 32,768 tokens, "
                + "each step's 16 examples grouped by length (auto: the largest that fits"));
        assertThat(byTokens.breakdown()).anySatisfy(l -> assertThat(l).startsWith("batching: micro-steps of up to "
                + "32,768 tokens").contains("from the data's length histogram"));
    }

    @Test
    void aSmallGpu_getsASmallerBudget_thatFits() throws IOException {
        ModelShape model = Shapes.llama(dir, "1b", 2048, 16, 32, 8, 8192, 128256);
        DatasetStats stats = statsOf(logNormal(4000, 2048));
        Recipe r = new Estimator(Estimator.Pricing.NONE).recipe(spec(Hyperparameters.builder().batchSize(64)), stats,
                model, "NVIDIA L4", 22.5, List.of(), "trl", null);
        int budget = r.spec().hyperparameters().microBatchTokens();
        assertThat(budget).isLessThan(64 * 2048).isGreaterThanOrEqualTo(2048);
        assertThat(r.estimate().memory().total()).isLessThanOrEqualTo(0.85 * 22.5);
        assertThat(r.lines()).anySatisfy(l -> assertThat(l).contains(" would need "));
    }

    static JobSpec spec(Hyperparameters.Builder h) {
        return JobSpec.builder().name("b").tenant("t").baseModel("/m").method(TrainingMethod.sftLora())
                .hyperparameters(h.epochs(1).maxSeqLength(2048).build())
                .trainingData(DatasetRef.of("/d.jsonl", DatasetFormat.CHAT))
                .resources(Resources.builder().gpus(1).build()).build();
    }

    /** Log-normal lengths with a median of 200 and a p90 of 900, cut at max. */
    static int[] logNormal(int n, int max) {
        Random random = new Random(3);
        double sigma = Math.log(900.0 / 200) / 1.2816;
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = (int) Math.max(1, Math.min(max, Math.round(200 * Math.exp(sigma * random.nextGaussian()))));
        }
        return out;
    }

    static DatasetStats statsOf(int[] lengths) {
        int width = LengthHistogram.bucketWidth(2048);
        long[] counts = new long[2048 / width + 1];
        long total = 0;
        for (int l : lengths) {
            counts[l / width]++;
            total += l;
        }
        List<Long> list = new ArrayList<>();
        for (long c : counts) {
            list.add(c);
        }
        return new DatasetStats(lengths.length, 2L * lengths.length, total * 4, total, true, 2048, 0, lengths.length,
                total, new LengthHistogram(width, list));
    }
}
