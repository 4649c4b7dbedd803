package dev.koder.training.core.estimate;

import dev.koder.training.api.CostEstimate;
import dev.koder.training.api.Hyperparameters;
import dev.koder.training.api.JobSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * What admission chose for a spec's auto values (gradient checkpointing, micro-batch size), and why. The spec's
 * explicit values are never changed.
 *
 * @param spec the spec with every auto value replaced by the chosen one
 * @param lines what was chosen and why, one line per choice (empty when the spec had no auto value)
 * @param estimate the estimate of the chosen spec (its breakdown starts with the lines), or null when the job
 *     could not be estimated
 */
public record Recipe(JobSpec spec, List<String> lines, CostEstimate estimate) {

    /** Share of the GPU's memory an auto choice may plan to use: the estimate's error and fragmentation fit in the rest. */
    public static final double MEMORY_SHARE = 0.85;
    /** The most sequences of max_seq_length an auto token budget holds. */
    public static final int MAX_AUTO_BUDGET_SEQUENCES = 64;
    /** The largest micro-batch auto tries. */
    public static final int MAX_AUTO_MICRO_BATCH = 64;
    /** The micro-batch auto takes when nothing can be estimated (the default's size). */
    static final int FALLBACK_MICRO_BATCH = Hyperparameters.DEFAULT_MICRO_BATCH;

    /** Copies the lines so the record stays immutable. */
    public Recipe {
        lines = List.copyOf(lines);
    }

    /** @return whether the spec leaves anything to admission */
    public static boolean hasAuto(JobSpec spec) {
        Hyperparameters h = spec.hyperparameters();
        return h.autoMicroBatch() || h.autoMicroBatchTokens() || h.autoGradientCheckpointing();
    }

    /**
     * The choice when the job cannot be estimated (its model's size is unknown here): gradient checkpointing on,
     * which always saves memory, and the largest micro-batch up to the default's 4 that divides the batch.
     *
     * @param spec a spec
     * @param why why nothing could be estimated
     * @return the recipe, without an estimate
     */
    public static Recipe unestimated(JobSpec spec, String why) {
        if (!hasAuto(spec)) {
            return new Recipe(spec, List.of(), null);
        }
        Hyperparameters h = spec.hyperparameters();
        List<String> lines = new ArrayList<>();
        Boolean checkpointing = h.gradientCheckpointing();
        if (h.autoGradientCheckpointing()) {
            checkpointing = true;
            lines.add("recipe: gradient checkpointing on (auto; " + why + ", so it cannot be shown to fit without)");
        }
        int micro = h.microBatchSize();
        if (h.autoMicroBatch()) {
            micro = divisorsDescending(perGpuBatch(spec), FALLBACK_MICRO_BATCH).get(0);
            lines.add(String.format("recipe: micro-batch %d x accumulation %d = batch %d (auto; %s, so the default "
                    + "size or the largest below it that divides the batch)", micro, perGpuBatch(spec) / micro,
                    h.batchSize(), why));
        }
        if (h.autoMicroBatchTokens()) {
            int budget = FALLBACK_MICRO_BATCH * rowsPerExample(spec) * h.maxSeqLength();
            lines.add(String.format(java.util.Locale.ROOT, "recipe: micro-steps of up to %,d tokens (auto; %s, so %d %s "
                    + "of max_seq_length %d, what the default micro-batch of %d holds at most)", budget, why,
                    FALLBACK_MICRO_BATCH, rowsPerExample(spec) == 2 ? "pairs (two rows each)" : "sequences",
                    h.maxSeqLength(), FALLBACK_MICRO_BATCH));
            return new Recipe(withTokens(spec, checkpointing, budget), lines, null);
        }
        return new Recipe(with(spec, checkpointing, micro), lines, null);
    }

    /** @return the spec with micro-steps of examples (its micro-batch and accumulation) instead of a token budget */
    public static JobSpec inExamples(JobSpec spec) {
        return spec.toBuilder().hyperparameters(spec.hyperparameters().toBuilder().microBatchesOfExamples().build())
                .build();
    }

    /**
     * @param spec a spec trained with micro-steps of examples
     * @param runner the runner that does
     * @return the recipe's line for a token budget left to a runner that counts micro-steps in examples
     */
    public static String examplesLine(JobSpec spec, String runner) {
        Hyperparameters h = spec.hyperparameters();
        return String.format(java.util.Locale.ROOT, "recipe: micro-batch %d x accumulation %d = batch %d (micro_batch_tokens auto: runner %s "
                + "counts micro-steps in examples)", h.microBatchSize(), h.gradientAccumulationSteps(), h.batchSize(),
                runner);
    }

    /** @return the spec with gradient checkpointing set and micro-steps of at most budget tokens */
    static JobSpec withTokens(JobSpec spec, boolean checkpointing, int budget) {
        Hyperparameters h = spec.hyperparameters();
        return spec.toBuilder().hyperparameters(h.toBuilder().gradientCheckpointing(checkpointing)
                .microBatchTokens(budget).build()).build();
    }

    /** @return the rows an example is in a micro-step: 2 for a DPO pair (its chosen and rejected), else 1 */
    static int rowsPerExample(JobSpec spec) {
        return spec.method().objective() == dev.koder.training.api.Objective.DPO ? 2 : 1;
    }

    /** @return examples per optimiser step on one GPU */
    static int perGpuBatch(JobSpec spec) {
        return spec.hyperparameters().batchSize() / Math.max(1, spec.resources().gpus());
    }

    /** @return the divisors of n up to max, largest first */
    static List<Integer> divisorsDescending(int n, int max) {
        List<Integer> out = new ArrayList<>();
        for (int d = Math.min(n, max); d >= 1; d--) {
            if (n % d == 0) {
                out.add(d);
            }
        }
        return out;
    }

    /** @return the spec with these values (the batch kept, the accumulation derived) */
    static JobSpec with(JobSpec spec, boolean checkpointing, int micro) {
        Hyperparameters h = spec.hyperparameters();
        Hyperparameters.Builder b = h.toBuilder().gradientCheckpointing(checkpointing).microBatchSize(micro)
                .gradientAccumulationSteps(perGpuBatch(spec) / micro);
        return spec.toBuilder().hyperparameters(b.build()).build();
    }
}
