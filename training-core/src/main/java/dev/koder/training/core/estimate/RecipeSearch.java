package dev.koder.training.core.estimate;

import dev.koder.training.api.AdapterType;
import dev.koder.training.api.CostEstimate;
import dev.koder.training.api.DatasetStats;
import dev.koder.training.api.Hyperparameters;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.Resources;
import dev.koder.training.api.Strategy;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * Chooses a spec's auto values with the estimate: the strategy of a job on several GPUs, then gradient checkpointing,
 * the micro-batch or the token budget. Each choice is kept as the figures it rested on ({@link Choice}); the
 * breakdown words them. Explicit values are kept.
 */
final class RecipeSearch {

    private final Estimator estimator;
    private final DatasetStats training;
    private final ModelShape model;
    private final String deviceName;
    private final Double deviceMemoryGib;
    private final List<Estimator.Measured> measured;
    private final String runner;

    /**
     * What the search chose.
     *
     * @param spec the spec with every auto value replaced by the chosen one
     * @param choices what was chosen, in order, with the figures behind it
     * @param lines the recipe's lines: the choices worded, and why nothing could be estimated where it could not
     */
    record Result(JobSpec spec, List<Choice> choices, List<String> lines) {
    }

    RecipeSearch(Estimator estimator, DatasetStats training, ModelShape model, String deviceName, Double deviceMemoryGib,
            List<Estimator.Measured> measured, String runner) {
        this.estimator = estimator;
        this.training = training;
        this.model = model;
        this.deviceName = deviceName;
        this.deviceMemoryGib = deviceMemoryGib;
        this.measured = measured;
        this.runner = runner;
    }

    /**
     * Gradient checkpointing auto is off when the job's peak without it stays within {@link Recipe#MEMORY_SHARE} of
     * the GPU's memory, else on; micro-batch auto is the fastest that fits there (for one checkpointing setting, the
     * largest), with the batch kept through accumulation; a token budget auto likewise. Without a GPU memory to plan
     * against (a CPU job, an unknown GPU) checkpointing is off on the CPU and on on a GPU, and the micro-step is
     * {@link Recipe#unestimated}'s.
     */
    Result search(JobSpec spec) {
        List<Choice> choices = new ArrayList<>();
        Double limit = Estimator.memoryLimit(spec, deviceMemoryGib);
        Choice.StrategyChoice strategy = strategy(spec, limit);
        if (strategy != null) {
            choices.add(strategy);
            spec = spec.toBuilder().resources(spec.resources().withStrategy(strategy.strategy())).build();
        }
        if (!Recipe.hasAuto(spec)) {
            return result(spec, choices, List.of());
        }
        Hyperparameters h = spec.hyperparameters();
        boolean cpu = spec.resources().gpus() == 0;
        if (cpu || limit == null) {
            boolean off = cpu && h.autoGradientCheckpointing();
            if (off) {
                choices.add(new Choice.CpuCheckpointingOff());
            }
            Recipe r = Recipe.unestimated(off ? withCheckpointing(spec, false) : spec, cpu
                    ? "a CPU job: host memory is not planned against" : "the GPU's memory is unknown");
            return result(r.spec(), choices, r.lines());
        }
        JobSpec chosen = hyperparameters(spec, limit, choices);
        return result(chosen, choices, List.of());
    }

    /** @return the result: the choices worded, in order, then the lines of what could not be estimated */
    private static Result result(JobSpec spec, List<Choice> choices, List<String> unestimated) {
        List<String> lines = new ArrayList<>(choices.stream().map(Breakdown::choice).toList());
        lines.addAll(unestimated);
        return new Result(spec, choices, lines);
    }

    /**
     * The strategy of a job on several GPUs whose spec leaves it to the service: DDP when the weights, their gradients
     * and optimizer state (and a full DPO's reference) fit one GPU within {@link Recipe#MEMORY_SHARE} of its memory,
     * else FSDP for a full fine-tune; an adapter's base is frozen and cannot be sharded usefully, so adapters stay on
     * DDP. Null when there is nothing to choose.
     */
    private Choice.StrategyChoice strategy(JobSpec spec, Double limit) {
        Resources r = spec.resources();
        if (r.gpus() <= 1 || r.strategy() != Strategy.AUTO) {
            return null;
        }
        JobSpec ddp = spec.toBuilder().resources(r.withStrategy(Strategy.DDP)).build();
        // what stays whatever the micro-batch: any concrete setting of the auto values shows it
        CostEstimate.MemoryEstimate m = PeakMemory.of(Recipe.with(ddp, true, 1), model, PeakMemory.trainable(spec, model),
                false, false, 1);
        double state = m.weights() + m.gradients() + m.optimizer() + m.reference();
        boolean full = spec.method().adapter() == AdapterType.FULL;
        Choice.StrategyReason reason = limit == null ? Choice.StrategyReason.MEMORY_UNKNOWN
                : state <= Recipe.MEMORY_SHARE * limit ? Choice.StrategyReason.FITS_ONE_GPU
                : !full ? Choice.StrategyReason.ADAPTER : Choice.StrategyReason.SHARDED;
        return new Choice.StrategyChoice(reason == Choice.StrategyReason.SHARDED ? Strategy.FSDP : Strategy.DDP, reason,
                state, limit, r.gpus());
    }

    /** Searches checkpointing and the micro-step on a GPU of known memory; adds what it chose to choices. */
    private JobSpec hyperparameters(JobSpec spec, double limit, List<Choice> choices) {
        Hyperparameters h = spec.hyperparameters();
        List<Boolean> settings = h.autoGradientCheckpointing() ? List.of(false, true) : List.of(h.gradientCheckpointing());
        boolean tokens = h.tokenMicroSteps();
        // A micro-step's size: examples (micro-batch auto: the divisors of the batch), or a token budget (auto: 1, 2,
        // 4 ... sequences of max_seq_length, up to the step's examples; more would never be filled)
        List<Integer> sizes = h.autoMicroBatch()
                ? Recipe.divisorsDescending(Recipe.perGpuBatch(spec), Recipe.MAX_AUTO_MICRO_BATCH)
                : h.autoMicroBatchTokens()
                        ? budgets(Recipe.perGpuBatch(spec), Recipe.rowsPerExample(spec) * h.maxSeqLength())
                : List.of(tokens ? h.microBatchTokens() : h.microBatchSize());
        BiFunction<Boolean, Integer, JobSpec> make = (checkpointing, size) -> tokens
                ? Recipe.withTokens(spec, checkpointing, size) : Recipe.with(spec, checkpointing, size);
        double budget = Recipe.MEMORY_SHARE * limit;
        JobSpec best = null;
        Figures bestFigures = null;
        for (boolean checkpointing : settings) {
            for (int size : sizes) {
                JobSpec candidate = make.apply(checkpointing, size);
                Figures f = figures(candidate);
                if (f.memory().total() <= budget && (bestFigures == null
                        || f.tokensPerSecond() > bestFigures.tokensPerSecond())) {
                    best = candidate;
                    bestFigures = f;
                }
            }
        }
        if (best == null) {
            // Nothing fits: the least memory there is; the estimate says it does not fit.
            best = make.apply(h.autoGradientCheckpointing() || h.gradientCheckpointing(), sizes.get(sizes.size() - 1));
        }
        Hyperparameters chosen = best.hyperparameters();
        int size = tokens ? chosen.microBatchTokens() : chosen.microBatchSize();
        if (h.autoGradientCheckpointing()) {
            double without = figures(make.apply(false, size)).memory().total();
            choices.add(new Choice.Checkpointing(chosen.gradientCheckpointing(), without, limit,
                    estimator.table().noCheckpointing.get(Estimator.method(spec))));
        }
        if (h.autoMicroBatch() || h.autoMicroBatchTokens()) {
            Integer larger = sizes.stream().filter(m -> m > size).reduce((a, b) -> b).orElse(null);
            Double largerGib = larger == null ? null
                    : figures(make.apply(chosen.gradientCheckpointing(), larger)).memory().total();
            choices.add(h.autoMicroBatch()
                    ? new Choice.MicroBatch(size, chosen.gradientAccumulationSteps(), chosen.batchSize(), limit, larger,
                            largerGib)
                    : new Choice.TokenBudget(size, Recipe.perGpuBatch(best), Recipe.rowsPerExample(spec) == 2, limit,
                            larger, largerGib));
        }
        return best;
    }

    private Figures figures(JobSpec candidate) {
        return estimator.figures(candidate, training, model, deviceName, deviceMemoryGib, measured, runner);
    }

    /**
     * @param widest an example's most padded tokens: max_seq_length, or twice it for a DPO pair
     * @return the token budgets auto tries, largest first: 1, 2, 4 ... examples of the widest up to the step's
     *     examples on one GPU (and that count itself), at most {@link Recipe#MAX_AUTO_BUDGET_SEQUENCES}
     */
    static List<Integer> budgets(int perGpuBatch, int widest) {
        int most = Math.max(1, Math.min(perGpuBatch, Recipe.MAX_AUTO_BUDGET_SEQUENCES));
        java.util.TreeSet<Integer> sequences = new java.util.TreeSet<>(java.util.Comparator.reverseOrder());
        sequences.add(most);
        for (int k = 1; k <= most; k *= 2) {
            sequences.add(k);
        }
        List<Integer> out = new ArrayList<>();
        for (int k : sequences) {
            out.add((int) Math.min(Hyperparameters.MAX_MICRO_BATCH_TOKENS, (long) k * widest));
        }
        return out.stream().distinct().toList();
    }

    private static JobSpec withCheckpointing(JobSpec spec, boolean checkpointing) {
        return spec.toBuilder().hyperparameters(spec.hyperparameters().toBuilder().gradientCheckpointing(checkpointing)
                .build()).build();
    }
}
