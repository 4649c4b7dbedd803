package dev.koder.training.core.estimate;

import dev.koder.training.api.LengthHistogram;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * What a job's micro-steps hold, read from its data's length histogram: the tokens of its examples, and the padding
 * that brings each micro-step's rows to its longest. Micro-steps of examples take random batches, except a TRL DPO
 * job's pairs, which are grouped by length; micro-steps by tokens are worked out as the trainer makes them
 * (token_batching.py): examples (or DPO pairs) grouped by length in megabatches of 50 steps, each step cut longest
 * first into micro-steps of at most the budget.
 */
final class Batching {

    /** The most lengths drawn from a histogram to work out micro-steps. */
    static final int SAMPLE = 20_000;
    /** Steps in a megabatch the trainer sorts by length (transformers' get_length_grouped_indices). */
    static final int MEGABATCH_STEPS = 50;

    private Batching() {
    }

    /**
     * What the micro-steps hold on one GPU.
     *
     * @param tokens tokens of examples a micro-step holds, on average
     * @param padded the padded size of a micro-step (rows x its longest), on average
     * @param microStepsPerStep micro-steps an optimiser step takes on one GPU, on average
     */
    record MicroSteps(double tokens, double padded, double microStepsPerStep) {

        /** @return the share of a micro-step's padded size that is padding */
        double paddingFraction() {
            // never below 0, which rounding of a micro-step without padding could give ("-0.0%")
            return padded <= 0 ? 0 : Math.max(0, 1 - tokens / padded);
        }
    }

    /**
     * Lengths spread over the histogram as its quantiles, each with extra tokens added (a chat template's) and cut at
     * the maximum sequence length.
     *
     * @param h the histogram
     * @param n how many, at most {@link #SAMPLE}
     * @param extra tokens added to each
     * @param maxSeqLength where each is cut
     * @return the lengths, shortest first
     */
    static int[] lengths(LengthHistogram h, long n, int extra, int maxSeqLength) {
        long total = h.total();
        int count = (int) Math.max(1, Math.min(Math.min(n, SAMPLE), Math.max(1, total)));
        int[] out = new int[count];
        int bucket = 0;
        long below = 0;
        for (int j = 0; j < count; j++) {
            double rank = (j + 0.5) / count * total;
            while (bucket < h.counts().size() - 1 && below + h.counts().get(bucket) <= rank) {
                below += h.counts().get(bucket);
                bucket++;
            }
            long inBucket = Math.max(1, h.counts().get(bucket));
            double within = Math.min(1, Math.max(0, (rank - below) / inBucket));
            int length = (int) Math.floor(bucket * (double) h.bucketTokens() + within * h.bucketTokens());
            out[j] = Math.max(1, Math.min(maxSeqLength, length + extra));
        }
        Arrays.sort(out);
        return out;
    }

    /**
     * Random batches of micro examples, each padded to its longest: a micro-step holds micro x the mean length, and
     * its padded size is micro x the expected longest of micro lengths drawn at random.
     *
     * @param data the data's lengths
     * @param micro examples a micro-step
     * @param accumulation micro-steps a step
     * @return the micro-steps
     */
    static MicroSteps ofExamples(int[] data, int micro, int accumulation) {
        int[] lengths = data.clone();
        Arrays.sort(lengths);
        int n = lengths.length;
        double mean = 0;
        double longest = 0;
        for (int k = 1; k <= n; k++) {
            mean += lengths[k - 1];
            longest += lengths[k - 1] * (Math.pow((double) k / n, micro) - Math.pow((double) (k - 1) / n, micro));
        }
        mean /= n;
        return new MicroSteps(micro * mean, micro * longest, accumulation);
    }

    /**
     * Micro-batches of pairs grouped by length, as the TRL runner's DPO sampler makes them (token_batching.length_grouped):
     * the sequences, shuffled, are taken two by two as a pair's chosen and rejected rows (so a pair's two answers are
     * as different in length as two examples at random, which errs on the side of padding); a pair is as wide as its
     * longer row; pairs are sorted by width in megabatches of 50 micro-batches, and each run of micro pairs pads its
     * 2 x micro rows to its widest.
     *
     * @param sequences the data's sequence lengths (two a pair)
     * @param micro pairs a micro-batch
     * @param accumulation micro-batches a step
     * @param seed the shuffle's seed
     * @return the micro-steps
     */
    static MicroSteps ofGroupedPairs(int[] sequences, int micro, int accumulation, long seed) {
        Pairs drawn = Pairs.of(sequences, seed);
        int pairs = drawn.width().length;
        int[] width = drawn.width();
        long[] both = drawn.both();
        Integer[] byPair = new Integer[pairs];
        for (int p = 0; p < pairs; p++) {
            byPair[p] = p;
        }
        int megabatch = megabatch(pairs, micro);
        long tokens = 0;
        long padded = 0;
        long batches = 0;
        for (int from = 0; from < pairs; from += megabatch) {
            Integer[] group = Arrays.copyOfRange(byPair, from, Math.min(pairs, from + megabatch));
            Arrays.sort(group, (a, b) -> Integer.compare(width[b], width[a]));
            for (int s = 0; s < group.length; s += micro) {
                int end = Math.min(group.length, s + micro);
                batches++;
                padded += 2L * (end - s) * width[group[s]];
                for (int k = s; k < end; k++) {
                    tokens += both[group[k]];
                }
            }
        }
        return new MicroSteps((double) tokens / batches, (double) padded / batches, accumulation);
    }

    /**
     * Preference pairs drawn from sequence lengths: shuffled, then taken two by two as a pair's chosen and rejected
     * rows (an odd last one paired with itself).
     *
     * @param width each pair's width, its longer row
     * @param both the tokens of its two rows
     */
    private record Pairs(int[] width, long[] both) {

        static Pairs of(int[] sequences, long seed) {
            List<Integer> order = new ArrayList<>(sequences.length);
            for (int length : sequences) {
                order.add(length);
            }
            java.util.Collections.shuffle(order, new Random(seed));
            int pairs = Math.max(1, order.size() / 2);
            int[] width = new int[pairs];
            long[] both = new long[pairs];
            for (int p = 0; p < pairs; p++) {
                int chosen = order.get(Math.min(order.size() - 1, 2 * p));
                int rejected = order.get(Math.min(order.size() - 1, 2 * p + 1));
                width[p] = Math.max(chosen, rejected);
                both[p] = chosen + rejected;
            }
            return new Pairs(width, both);
        }
    }

    /** @return the examples in a megabatch the sampler sorts by length, as get_length_grouped_indices sizes it */
    private static int megabatch(int examples, int batch) {
        return Math.max(1, Math.min(examples / Math.max(1, batch * 4), MEGABATCH_STEPS)) * batch;
    }

    /**
     * Steps of perGpuBatch examples grouped by length and cut into micro-steps of at most budget padded tokens, as the
     * trainer does, over one shuffled pass of the lengths.
     *
     * @param lengths the data's lengths
     * @param perGpuBatch examples a step takes on one GPU
     * @param budget padded tokens a micro-step may hold
     * @param seed the shuffle's seed
     * @return the micro-steps
     */
    static MicroSteps ofTokens(int[] lengths, int perGpuBatch, int budget, long seed) {
        return cut(lengths, Arrays.stream(lengths).asLongStream().toArray(), 1, perGpuBatch, budget, seed);
    }

    /**
     * Steps of perGpuPairs preference pairs grouped by length and cut by pairs into micro-steps of at most budget
     * padded tokens, as the TRL runner's DPO does (token_batching.token_budget with pairs): the sequences, shuffled,
     * are taken two by two as a pair's chosen and rejected rows (as {@link #ofGroupedPairs} takes them); a pair is two
     * rows as wide as its longer one, so a micro-step of k pairs of width w pads to 2 k w.
     *
     * @param sequences the data's sequence lengths (two a pair)
     * @param perGpuPairs pairs a step takes on one GPU
     * @param budget padded tokens a micro-step may hold
     * @param seed the shuffle's seed
     * @return the micro-steps
     */
    static MicroSteps ofTokenPairs(int[] sequences, int perGpuPairs, int budget, long seed) {
        Pairs drawn = Pairs.of(sequences, seed);
        return cut(drawn.width(), drawn.both(), 2, perGpuPairs, budget, seed);
    }

    /**
     * Items (examples, or pairs of rows) shuffled, sorted by width within megabatches, taken perGpuBatch a step, and
     * each step cut longest first into micro-steps whose items x rows x their widest stay within budget.
     *
     * @param widths each item's width: its rows are padded to the widest of its micro-step
     * @param held the tokens each item holds without padding
     * @param rows rows an item is
     * @param perGpuBatch items a step on one GPU
     * @param budget padded tokens a micro-step may hold
     * @param seed the shuffle's seed
     * @return the micro-steps
     */
    private static MicroSteps cut(int[] widths, long[] held, int rows, int perGpuBatch, int budget, long seed) {
        int n = widths.length;
        List<Integer> order = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            order.add(i);
        }
        java.util.Collections.shuffle(order, new Random(seed));
        int megabatch = megabatch(n, perGpuBatch);
        int perRow = Math.max(1, budget / rows);
        long tokens = 0;
        long padded = 0;
        long micro = 0;
        long steps = 0;
        for (int from = 0; from < n; from += megabatch) {
            List<Integer> group = new ArrayList<>(order.subList(from, Math.min(n, from + megabatch)));
            group.sort((a, b) -> Integer.compare(widths[b], widths[a]));
            for (int s = 0; s < group.size(); s += perGpuBatch) {
                List<Integer> step = group.subList(s, Math.min(group.size(), s + perGpuBatch));
                steps++;
                int start = 0;
                for (int[] chunk : chunks(step.stream().mapToInt(i -> widths[i]).toArray(), perRow)) {
                    micro++;
                    padded += (long) rows * chunk.length * chunk[0];
                    for (int k = start; k < start + chunk.length; k++) {
                        tokens += held[step.get(k)];
                    }
                    start += chunk.length;
                }
            }
        }
        return new MicroSteps((double) tokens / micro, (double) padded / micro, (double) micro / steps);
    }

    /**
     * A step's lengths, longest first, cut into runs whose count x their longest stays within budget (a length over
     * the budget alone), as token_batching.token_chunks does.
     *
     * @param step the lengths of one step's examples
     * @param budget padded tokens a micro-step may hold
     * @return the micro-steps' lengths, each longest first
     */
    static List<int[]> chunks(int[] step, int budget) {
        int[] sorted = Arrays.stream(step).boxed().sorted(java.util.Comparator.reverseOrder()).mapToInt(i -> i)
                .toArray();
        List<int[]> out = new ArrayList<>();
        int start = 0;
        for (int i = 1; i <= sorted.length; i++) {
            if (i == sorted.length || (long) (i - start + 1) * sorted[start] > budget) {
                out.add(Arrays.copyOfRange(sorted, start, i));
                start = i;
            }
        }
        return out;
    }
}
