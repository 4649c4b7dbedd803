package dev.koder.training.core.estimate;

import dev.koder.training.api.AdapterType;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.Objective;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A job's tokens per second on one GPU (or the CPU), and what that figure rests on: finished jobs of the same kind on
 * the same device with a model of similar size when there are some, else the calibration table scaled to the
 * micro-step's padded size, the padding, the runner, the method and the GPU's bf16 throughput; and the runners'
 * start-up times.
 *
 * @param tokensPerSecond tokens a second on one GPU: the base times every factor
 * @param device the device the figure is for
 * @param basis what the figure rests on, for the breakdown
 * @param base the figure the factors apply to: the calibration's at the model's size, the measured median, or the
 *     CPU's assumed rate
 * @param factors what the base was multiplied by, in order
 */
record Throughput(double tokensPerSecond, String device, String basis, double base, List<Factor> factors) {

    /** What a factor of the throughput stands for. */
    enum Cause {
        /** The micro-step's padded size against the calibration's (a step's fixed cost). */
        MICRO_STEP,
        /** Padding: computed, but no example's token. */
        PADDING,
        /** The runner's speed relative to TRL's. */
        RUNNER,
        /** 4-bit dequantisation. */
        QLORA,
        /** TRL's packing without flash attention. */
        PACKING,
        /** No recomputation without gradient checkpointing. */
        NO_CHECKPOINTING,
        /** The GPU's bf16 throughput against the reference GPU's. */
        GPU
    }

    /**
     * @param cause what it stands for
     * @param value what the throughput is multiplied by
     */
    record Factor(Cause cause, double value) {
    }

    /** Copies the factors so the record stays immutable. */
    Throughput {
        factors = List.copyOf(factors);
    }

    /** @return the factor of that cause, or 1 when none applied */
    double factor(Cause cause) {
        return factors.stream().filter(f -> f.cause() == cause).mapToDouble(Factor::value).reduce(1, (a, b) -> a * b);
    }

    /** @param cpuCores the cores a CPU job may use, 0 for a job on GPUs */
    static Throughput of(Calibration table, JobSpec spec, ModelShape model, int cpuCores, String deviceName,
            List<Estimator.Measured> measured, String kind, String runner, double tokensPerSequence, double sequencesPerExample,
            Batching.MicroSteps micro) {
        boolean cpu = cpuCores > 0;
        String device = cpu ? "cpu" : GpuModels.find(deviceName).map(GpuModels.GpuModel::type)
                .orElse(deviceName == null ? GpuModels.reference().type() : deviceName);
        List<Double> similar = new ArrayList<>();
        for (Estimator.Measured m : measured) {
            if (m.similar(device, kind, model)) {
                similar.add(m.tokensPerSecond() * m.parameters() / model.parameters());
            }
        }
        if (!similar.isEmpty()) {
            similar.sort(Double::compare);
            double median = similar.get(similar.size() / 2);
            int gpus = Math.max(1, spec.resources().gpus());
            return new Throughput(median / gpus, device, "measured: median of " + similar.size() + " finished "
                    + kind + " job" + (similar.size() > 1 ? "s" : "") + " on " + device + " with a model of similar "
                    + "size, scaled by parameters", median / gpus, List.of());
        }
        List<Factor> factors = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        if (cpu) {
            double flopsPerToken = (spec.method().adapter() == AdapterType.FULL ? 6 : 4) * (double) model.parameters();
            double base = 25e9 * cpuCores / flopsPerToken;
            notes.add("assumed: 25 GFLOP/s per CPU core x " + cpuCores + (cpuCores == 1 ? " core" : " cores")
                    + " (a CPU job's share); run a job to calibrate");
            padding(micro, factors, notes);
            if ("axolotl".equals(runner)) {
                factors.add(new Factor(Cause.RUNNER, 1 / AXOLOTL_CPU_SLOWDOWN));
                notes.add(String.format(Locale.ROOT, "/ %.1f for axolotl (measured on a CPU outside CI: 2.9-4.5x "
                        + "TRL's time for the same job)", AXOLOTL_CPU_SLOWDOWN));
            }
            return of(base, factors, "; ", notes, "cpu");
        }
        String method = Estimator.method(spec);
        double paramsB = model.parameters() / 1e9;
        double reference = table.interpolate(method, paramsB);
        // DPO's micro-step runs chosen and rejected: twice the sequences, in the calibration too. An encoder's
        // micro-step runs each example's texts (or a group's pairs).
        boolean encoder = !spec.method().objective().languageModel();
        double sequences = encoder ? sequencesPerExample : spec.method().objective() == Objective.DPO ? 2 : 1;
        double referenceTokens = (encoder ? 1 : sequences) * table.referenceTokens;
        notes.add("calibration: " + table.reference + "-class TRL " + method + " at " + String.format(Locale.ROOT,
                "%.2fB", paramsB) + " parameters, " + table.bracket(method, paramsB) + String.format(Locale.ROOT,
                ", at %,.0f tokens a micro-step", referenceTokens));
        // The tokens a micro-step really computes: its rows are as long as the data's, padded to the micro-step's
        // longest, not max_seq_length. Short examples make small micro-steps, which the fixed cost of a step
        // dominates; padding is computed but is no example's token.
        double microTokens = micro != null ? micro.padded() : (double) sequences
                * spec.hyperparameters().microBatchSize()
                * Math.min(spec.hyperparameters().maxSeqLength(), Math.max(1, tokensPerSequence));
        double shape = table.shape(microTokens, referenceTokens, reference);
        if (Math.abs(shape - 1) > 0.005) {
            factors.add(new Factor(Cause.MICRO_STEP, shape));
            notes.add(String.format(Locale.ROOT, "x %.2f for %,.0f tokens (padding included) a micro-step on each GPU "
                    + "(a micro-step costs %.2f s of fixed overhead plus its tokens at the saturated rate; %s)", shape,
                    microTokens, table.overhead(referenceTokens / reference), table.overheadSource));
        }
        padding(micro, factors, notes);
        switch (runner) {
            case "trl" -> {
            }
            case "sentence-transformers" -> notes.add("assumed: an encoder as fast as a decoder of its size under "
                    + "TRL (no encoder measured on a GPU yet)");
            case "unsloth" -> {
                factors.add(new Factor(Cause.RUNNER, UNSLOTH_FACTOR));
                notes.add(String.format(Locale.ROOT, "x %.2f for unsloth (assumed: its published speed-up of LoRA "
                        + "over plain Hugging Face training, not measured here)", UNSLOTH_FACTOR));
            }
            case "axolotl" -> notes.add("runner axolotl assumed as fast as TRL on a GPU (not measured on one; on a "
                    + "CPU it took 2.9-4.5x TRL's time)");
            default -> notes.add("runner " + runner + " assumed as fast as TRL (not measured)");
        }
        if (spec.method().adapter() == AdapterType.QLORA) {
            factors.add(new Factor(Cause.QLORA, table.qlora));
            notes.add(String.format(Locale.ROOT, "x %.2f assumed for 4-bit dequantisation", table.qlora));
        }
        if (spec.hyperparameters().packing()) {
            factors.add(new Factor(Cause.PACKING, table.packing));
            notes.add(String.format(Locale.ROOT, "x %.2f for packing without flash attention (%s)", table.packing,
                    table.packingSource));
        }
        if (!spec.hyperparameters().gradientCheckpointing()) {
            double faster = table.noCheckpointing.get(method);
            factors.add(new Factor(Cause.NO_CHECKPOINTING, faster));
            notes.add(String.format(Locale.ROOT, "x %.2f without gradient checkpointing (measured: %s)", faster,
                    table.noCheckpointingSource));
        }
        Optional<GpuModels.GpuModel> gpu = GpuModels.find(device);
        double scale = gpu.map(g -> g.bf16Tflops() / GpuModels.reference().bf16Tflops()).orElse(1.0);
        if (gpu.isEmpty()) {
            notes.add("unknown GPU " + device + ": assumed as fast as an H100");
        } else if (scale != 1.0) {
            factors.add(new Factor(Cause.GPU, scale));
            notes.add(String.format(Locale.ROOT, "x %.2f for %s's bf16 throughput", scale, gpu.get().type()));
        }
        return of(reference, factors, ", ", notes, device);
    }

    private static Throughput of(double base, List<Factor> factors, String separator, List<String> notes,
            String device) {
        double perSecond = base;
        for (Factor f : factors) {
            perSecond *= f.value();
        }
        return new Throughput(perSecond, device, String.join(separator, notes), base, factors);
    }

    private static void padding(Batching.MicroSteps micro, List<Factor> factors, List<String> notes) {
        if (micro != null && micro.paddingFraction() > 0.0005) {
            factors.add(new Factor(Cause.PADDING, 1 - micro.paddingFraction()));
            notes.add(String.format(Locale.ROOT, "x %.2f for padding (%.1f%% of a micro-step's tokens)",
                    1 - micro.paddingFraction(), 100 * micro.paddingFraction()));
        }
    }

    /** What any runner takes to start before its model loads (its Python, the libraries, the data). */
    static final double STARTUP_SECONDS = 20;
    /** axolotl's start beyond that: its config checks and data preparation, 12-26 s on a CPU (outside CI). */
    static final double AXOLOTL_EXTRA_STARTUP_SECONDS = 19;
    /** axolotl's time for a job over TRL's on a CPU, measured outside CI: 2.9-4.5x; the middle of that. */
    static final double AXOLOTL_CPU_SLOWDOWN = 3.5;

    /** @param runner a runner's name @return seconds before its model starts loading */
    static double startupSeconds(String runner) {
        return "axolotl".equals(runner) ? STARTUP_SECONDS + AXOLOTL_EXTRA_STARTUP_SECONDS : STARTUP_SECONDS;
    }

    /** unsloth's speed relative to TRL, assumed until measured: its published figure for LoRA on one GPU. */
    static final double UNSLOTH_FACTOR = 1.6;

    /**
     * Data-parallel efficiency kept at each doubling of GPUs. Assumed, not measured: no run on several GPUs has been
     * timed for this table yet (docs/BENCHMARKS.md).
     */
    static final double SCALING_PER_DOUBLING = 0.9;

    /** @return the share of gpus times one GPU's throughput a data-parallel job keeps ({@link #SCALING_PER_DOUBLING}) */
    static double scaling(int gpus) {
        return gpus <= 1 ? 1 : Math.pow(SCALING_PER_DOUBLING, Math.log(gpus) / Math.log(2));
    }

}
