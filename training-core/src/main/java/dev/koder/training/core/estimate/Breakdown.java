package dev.koder.training.core.estimate;

import dev.koder.training.api.AdapterType;
import dev.koder.training.api.Hyperparameters;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.Objective;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The words of an estimate: one line for each of its parts (tokens, batching, parameters, compute, throughput, time,
 * GPU-hours, memory) from its {@link Figures}, and one for each {@link Choice} of the recipe. Nothing here computes a
 * figure; every factor that was not measured says so ("assumed").
 */
final class Breakdown {

    private Breakdown() {
    }

    /**
     * @param spec the job as estimated
     * @param model its base model
     * @param runner the runner that would train it
     * @param runnerReason why that runner, or null
     * @param recipe the recipe's lines, first after the runner's
     * @param f the estimate's figures
     * @param currency the prices' currency
     * @return the breakdown, line by line
     */
    static List<String> lines(JobSpec spec, ModelShape model, String runner, String runnerReason, List<String> recipe,
            Figures f, String currency) {
        List<String> lines = new ArrayList<>();
        if (runnerReason != null) {
            lines.add("runner: " + runner + " (" + runnerReason + ")");
        }
        lines.addAll(recipe);
        lines.add(tokens(spec, f));
        if (f.micro() != null) {
            lines.add(batching(spec, f));
        }
        lines.add(parameters(spec, model, f));
        lines.add(compute(spec, f));
        lines.add(throughput(spec, f));
        lines.add(time(runner, model, f));
        lines.add(gpuHours(spec, f, currency));
        lines.add(memory(spec, model, runner, f));
        return lines;
    }

    private static String tokens(JobSpec spec, Figures f) {
        Hyperparameters h = spec.hyperparameters();
        String count = f.tokensExact() ? "exact, model tokenizer" : "approximate, ~4 characters a token";
        if (h.maxSteps() != null) {
            return String.format(Locale.ROOT, "tokens: %,d steps x %d sequences x %,.0f tokens on average (%s) = %,d",
                    h.maxSteps(), f.sequencesPerStep(), f.tokensPerSequence(), count, f.tokens());
        }
        if (!spec.method().objective().languageModel()) {
            return String.format(Locale.ROOT, "tokens: %,d examples of %,d sequences, %,d tokens within max_seq_length "
                    + "%d (%s, with %d special tokens a sequence); x %d epochs = %,d", f.examples(), f.sequences(),
                    f.tokensPerEpoch(), h.maxSeqLength(), count, Estimator.encoderSpecialTokens(spec), h.epochs(),
                    f.tokens());
        }
        boolean dpo = spec.method().objective() == Objective.DPO;
        return String.format(Locale.ROOT, "tokens: %,d %s, %,d tokens within max_seq_length %d (%s, with ~%d "
                + "chat-template tokens a message, assumed); x %d epochs = %,d", f.examples(),
                dpo ? "pairs (chosen and rejected each a sequence)" : "examples", f.tokensPerEpoch(), h.maxSeqLength(),
                count, Estimator.TEMPLATE_TOKENS_PER_MESSAGE, h.epochs(), f.tokens());
    }

    private static String batching(JobSpec spec, Figures f) {
        Hyperparameters h = spec.hyperparameters();
        Batching.MicroSteps micro = f.micro();
        String how = h.tokenMicroSteps() ? String.format(Locale.ROOT, "micro-steps of up to %,d tokens, each step's %d "
                + "%s grouped by length", h.microBatchTokens(), Recipe.perGpuBatch(spec),
                Recipe.rowsPerExample(spec) == 2 ? "pairs" : "examples")
                : String.format(Locale.ROOT, "micro-batch %d x accumulation %d, %s", h.microBatchSize(),
                        h.gradientAccumulationSteps(), f.groupedPairs() ? "pairs grouped by length" : "random batches");
        return String.format(Locale.ROOT, "batching: %s: %,.0f tokens a micro-step, %.2f micro-steps a step, padding "
                + "%.1f%% (%s)", how, micro.tokens(), micro.microStepsPerStep(), 100 * micro.paddingFraction(),
                f.histogram() ? "from the data's length histogram" : "no length histogram: every sequence at the mean "
                        + "length");
    }

    private static String parameters(JobSpec spec, ModelShape model, Figures f) {
        if (spec.method().adapter() == AdapterType.FULL) {
            return "parameters: " + model.describe() + "; all trainable";
        }
        return String.format(Locale.ROOT, "parameters: %s; trainable %,d (LoRA rank %d on %s)", model.describe(),
                f.trainable(), spec.method().lora().rank(), String.join(", ", spec.method().lora().targetModules()));
    }

    private static String compute(JobSpec spec, Figures f) {
        boolean full = spec.method().adapter() == AdapterType.FULL;
        return String.format(Locale.ROOT, "compute: %,d tokens x %.0fN (%s%s%s) = %.3g FLOPs", f.tokens(),
                f.flopsPerToken(), full ? "6N forward and backward" : "4N forward and backward through frozen weights",
                spec.hyperparameters().gradientCheckpointing() ? ", 2N recomputation" : "",
                spec.method().objective() == Objective.DPO ? ", 2N reference forward" : "", f.flops());
    }

    private static String throughput(JobSpec spec, Figures f) {
        int gpus = spec.resources().gpus();
        return String.format(Locale.ROOT, "throughput: %,.0f tokens/s %s (%s)", f.tokensPerSecond(), gpus == 0
                ? "on the CPU" : "on " + gpus + " x " + f.device() + (gpus > 1 ? String.format(Locale.ROOT,
                        ", x %.2f for %d GPUs (assumed: %.0f%% scaling per doubling, not measured)", f.scaling(), gpus,
                        100 * Throughput.SCALING_PER_DOUBLING) : ""), f.throughput().basis());
    }

    private static String time(String runner, ModelShape model, Figures f) {
        double extra = f.startSeconds() - Throughput.STARTUP_SECONDS;
        return String.format(Locale.ROOT, "time: %,d / %,.0f = %s training + %s starting and loading (assumed: %.0f s "
                + "to start and %.0f s a billion parameters to load%s) = %s", f.tokens(), f.tokensPerSecond(),
                seconds(f.trainSeconds()), seconds(f.loadSeconds()), Throughput.STARTUP_SECONDS,
                Estimator.LOAD_SECONDS_PER_BILLION, extra == 0 ? "" : String.format(Locale.ROOT, "; %s: %.0f s more to "
                        + "start, measured on a CPU outside CI, assumed on a GPU", runner, extra),
                seconds(f.wallSeconds()));
    }

    private static String gpuHours(JobSpec spec, Figures f, String currency) {
        int gpus = spec.resources().gpus();
        if (gpus == 0) {
            return "GPU-hours: 0 (a CPU job)";
        }
        String money = f.price() == null ? "" : String.format(Locale.ROOT, "; at %.2f %s per GPU-hour = %.2f %s",
                f.rate(), currency, f.price(), currency);
        return String.format(Locale.ROOT, "GPU-hours: %d GPU%s x %s = %.3f GPU-h%s", gpus, gpus > 1 ? "s" : "",
                seconds(f.wallSeconds()), f.gpuHours(), money);
    }

    private static String memory(JobSpec spec, ModelShape model, String runner, Figures f) {
        Hyperparameters h = spec.hyperparameters();
        boolean cpu = spec.resources().gpus() == 0;
        var memory = f.memory();
        String loss = !spec.method().objective().languageModel() ? String.format(Locale.ROOT, "in-batch similarity "
                + "%.2f (%s)", memory.logits(), PeakMemory.similarityLabel(spec, f.sequencesPerExample()))
                : String.format(Locale.ROOT, "logits %.2f (the loss's fp32 log-probabilities and gradient, vocabulary "
                        + "%,d%s)", memory.logits(), model.vocab(), f.chunkedLoss() ? String.format(Locale.ROOT,
                        ", TRL's chunked loss: %d tokens at a time", PeakMemory.LOSS_CHUNK) : "");
        String activations = ActivationMemory.Family.of(model.family()).name().toLowerCase(Locale.ROOT)
                + "-family layers, " + (h.tokenMicroSteps() ? String.format(Locale.ROOT, "up to %,d tokens",
                        h.microBatchTokens()) : PeakMemory.activationSequences(spec, f.sequencesPerExample())
                        + " sequences") + " a micro-step, " + (h.gradientCheckpointing() ? "gradient checkpointing: "
                        + "every layer's input and one layer recomputed" : "no gradient checkpointing");
        String limit = f.limitGib() == null ? "" : String.format(Locale.ROOT, " of %.0f GiB%s: %s", f.limitGib(),
                !f.deviceNamed() ? "" : " (" + f.device() + ")", f.fits() ? "fits" : "DOES NOT FIT");
        String basis = f.memoryCorrection() == null ? "" : String.format(Locale.ROOT, "; x %.2f: the median measured / "
                + "estimated peak of %d finished %s job%s on %s with a model of similar size", f.memoryCorrection(),
                f.memoryCorrectionJobs(), Estimator.kind(spec.method().label(), runner),
                f.memoryCorrectionJobs() > 1 ? "s" : "", f.device());
        return String.format(Locale.ROOT, "memory per %s: weights %.2f GiB (%s) + optimizer %.2f%s + the larger of "
                + "activations %.2f (%s) + %s and gradients %.2f, + overhead %.2f (assumed: the allocator's reserve and "
                + "workspaces) = %.2f GiB%s", cpu ? "host" : "GPU", memory.weights(), PeakMemory.weightLabel(spec, cpu),
                memory.optimizer(), memory.reference() > 0 ? String.format(Locale.ROOT, " + frozen reference %.2f",
                        memory.reference()) : "", memory.activations(), activations, loss, memory.gradients(),
                memory.overhead(), memory.total(), limit) + basis;
    }

    /** @return the recipe's line for one choice */
    static String choice(Choice choice) {
        double share = 100 * Recipe.MEMORY_SHARE;
        if (choice instanceof Choice.StrategyChoice s) {
            return switch (s.reason()) {
                case MEMORY_UNKNOWN -> "recipe: strategy ddp (auto: the GPU's memory is unknown, so nothing shows the "
                        + "model needs sharding)";
                case FITS_ONE_GPU -> String.format(Locale.ROOT, "recipe: strategy ddp (auto: weights, gradients and "
                        + "optimizer state, %.1f GiB, fit within %.0f%% of one GPU's %.0f GiB)", s.stateGib(), share,
                        s.limitGib());
                case ADAPTER -> "recipe: strategy ddp (auto: an adapter trains few weights; its frozen base is not "
                        + "sharded)";
                case SHARDED -> String.format(Locale.ROOT, "recipe: strategy fsdp (auto: weights, gradients and "
                        + "optimizer state, %.1f GiB, do not fit within %.0f%% of one GPU's %.0f GiB; sharded over %d "
                        + "GPUs they are %.1f GiB each)", s.stateGib(), share, s.limitGib(), s.gpus(),
                        s.stateGib() / s.gpus());
            };
        }
        if (choice instanceof Choice.Checkpointing c) {
            return c.on() ? String.format(Locale.ROOT, "recipe: gradient checkpointing on (auto: without it the peak "
                    + "would be %.1f GiB, more than %.0f%% of the GPU's %.0f GiB)", c.peakWithoutGib(), share,
                    c.limitGib())
                    : String.format(Locale.ROOT, "recipe: gradient checkpointing off (auto: the peak without it, %.1f "
                            + "GiB, is within %.0f%% of the GPU's %.0f GiB; a step is about %.2fx faster without "
                            + "recomputation)", c.peakWithoutGib(), share, c.limitGib(), c.speedup());
        }
        if (choice instanceof Choice.CpuCheckpointingOff) {
            return "recipe: gradient checkpointing off (auto; a CPU job: recomputation only costs time, and host "
                    + "memory is not planned against)";
        }
        if (choice instanceof Choice.MicroBatch m) {
            return String.format(Locale.ROOT, "recipe: micro-batch %d x accumulation %d = batch %d (auto: the fastest "
                    + "that fits %.0f%% of the GPU's %.0f GiB%s)", m.micro(), m.accumulation(), m.batch(), share,
                    m.limitGib(), m.larger() == null ? "" : String.format(Locale.ROOT, "; %d would need %.1f GiB",
                            m.larger(), m.largerGib()));
        }
        Choice.TokenBudget t = (Choice.TokenBudget) choice;
        return String.format(Locale.ROOT, "recipe: micro-steps of up to %,d tokens, each step's %d %s grouped by "
                + "length (auto: the largest that fits %.0f%% of the GPU's %.0f GiB%s)", t.budget(), t.examples(),
                t.pairs() ? "pairs" : "examples", share, t.limitGib(), t.larger() == null ? ""
                        : String.format(Locale.ROOT, "; %,d would need %.1f GiB", t.larger(), t.largerGib()));
    }

    /** @return seconds as a reader takes them in: s under 2 minutes, min under 2 hours, else h */
    static String seconds(double s) {
        long t = Math.round(s);
        if (t < 120) {
            return t + " s";
        }
        if (t < 7200) {
            return String.format(Locale.ROOT, "%.1f min", s / 60);
        }
        return String.format(Locale.ROOT, "%.1f h", s / 3600);
    }
}
