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
    /** The largest micro-batch auto tries. */
    public static final int MAX_AUTO_MICRO_BATCH = 64;
    /** The micro-batch auto takes when nothing can be estimated (the default's size). */
    static final int FALLBACK_MICRO_BATCH = 4;

    /** Copies the lines so the record stays immutable. */
    public Recipe {
        lines = List.copyOf(lines);
    }

    /** @return whether the spec leaves anything to admission */
    public static boolean hasAuto(JobSpec spec) {
        Hyperparameters h = spec.hyperparameters();
        return h.autoMicroBatch() || h.autoGradientCheckpointing();
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
        return new Recipe(with(spec, checkpointing, micro), lines, null);
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
