package dev.koder.training.core.estimate;

import dev.koder.training.api.AdapterType;
import dev.koder.training.api.CostEstimate;
import dev.koder.training.api.DatasetStats;
import dev.koder.training.api.EmbeddingConfig;
import dev.koder.training.api.EmbeddingLoss;
import dev.koder.training.api.Hyperparameters;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.Objective;
import dev.koder.training.api.Precision;
import dev.koder.training.api.Resources;
import dev.koder.training.api.Strategy;
import dev.koder.training.core.internal.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import tools.jackson.databind.JsonNode;

/**
 * Estimates what a job costs before it runs. Tokens come from the dataset scan (exact with the model's
 * tokenizer, else approximate); the model's size from its weights or config; throughput from measured jobs of
 * the same kind when there are some, else from the H100 calibration table (interpolated in parameters, scaled
 * to other GPUs by their bf16 throughput); memory from a term-by-term model of weights, gradients, optimizer,
 * activations and logits. Every figure is explained in {@link CostEstimate#breakdown()}.
 */
public final class Estimator {

    /** Tokens a chat template adds to each message (role header, end marker), beyond its content. */
    static final int TEMPLATE_TOKENS_PER_MESSAGE = 5;

    /** Seconds to start a trainer and load a model of one billion parameters (plus a fixed 20 s). */
    static final double LOAD_SECONDS_PER_BILLION = 10;
    static final double GIB = 1024.0 * 1024 * 1024;

    private final Table table = Table.load();

    /** @return the calibration table this estimator uses */
    Table table() {
        return table;
    }
    private final Pricing pricing;

    /**
     * @param pricing price per GPU-hour, if configured
     */
    public Estimator(Pricing pricing) {
        this.pricing = pricing;
    }

    /**
     * Prices per GPU-hour, by GPU type, with a default.
     *
     * @param perGpuHour default price, or null for none
     * @param byType price by GPU type (canonical names from the GPU table, lower case), may be empty
     * @param currency for example USD
     */
    public record Pricing(Double perGpuHour, java.util.Map<String, Double> byType, String currency) {

        /** No prices. */
        public static final Pricing NONE = new Pricing(null, java.util.Map.of(), "USD");

        Optional<Double> price(String type) {
            if (type != null) {
                Double p = byType.get(type.toLowerCase(Locale.ROOT));
                if (p != null) {
                    return Optional.of(p);
                }
            }
            return Optional.ofNullable(perGpuHour);
        }
    }

    /**
     * A finished job's measured throughput, to calibrate estimates of similar jobs.
     *
     * @param device the device it ran on (a GPU type, or cpu)
     * @param method objective and adapter, for example sft+lora
     * @param parameters its model's parameters
     * @param tokensPerSecond measured over all its GPUs
     */
    public record Measured(String device, String method, long parameters, double tokensPerSecond,
            Double memoryRatio) {

        /** A job measured for throughput only. */
        public Measured(String device, String method, long parameters, double tokensPerSecond) {
            this(device, method, parameters, tokensPerSecond, null);
        }
    }

    /**
     * @param spec the job (paths resolved)
     * @param training the training dataset's stats (scanned with the spec's max sequence length)
     * @param model the base model's shape
     * @param deviceName the GPU the job will get (its type or a device name), or null when unknown
     * @param deviceMemoryGib memory of that GPU, or null when unknown
     * @param measured finished jobs' throughput, newest first (may be empty)
     * @return the estimate
     */
    public CostEstimate estimate(JobSpec spec, DatasetStats training, ModelShape model, String deviceName,
            Double deviceMemoryGib, List<Measured> measured) {
        return estimate(spec, training, model, deviceName, deviceMemoryGib, measured, "trl", null);
    }

    /**
     * @param spec the job
     * @param training the training data's figures
     * @param model the base model's shape
     * @param deviceName the GPU the job would get (null: the reference GPU, or the CPU for CPU jobs)
     * @param deviceMemoryGib memory of that GPU, or null when unknown
     * @param measured finished jobs' throughput, newest first (may be empty)
     * @param runner the runner that would train it (its speed relative to TRL's measured one is applied)
     * @param runnerReason why that runner, for the breakdown, or null
     * @return the estimate
     */
    public CostEstimate estimate(JobSpec spec, DatasetStats training, ModelShape model, String deviceName,
            Double deviceMemoryGib, List<Measured> measured, String runner, String runnerReason) {
        return recipe(spec, training, model, deviceName, deviceMemoryGib, measured, runner, runnerReason).estimate();
    }

    /**
     * Chooses the spec's auto values with the estimate, then estimates the result. Gradient checkpointing auto is
     * off when the job's peak without it stays within {@link Recipe#MEMORY_SHARE} of the GPU's memory, else on;
     * micro-batch auto is the fastest that fits there (for one checkpointing setting, the largest), with the
     * batch kept through accumulation. Without a GPU memory to plan against (a CPU job, an unknown GPU) checkpointing
     * is off on the CPU and on on a GPU, and the micro-batch is the default's 4 or the largest divisor of the batch
     * below it. Explicit values are kept.
     *
     * @return the chosen spec, the reasons, and its estimate
     */
    public Recipe recipe(JobSpec spec, DatasetStats training, ModelShape model, String deviceName,
            Double deviceMemoryGib, List<Measured> measured, String runner, String runnerReason) {
        List<String> strategyLines = new ArrayList<>();
        spec = strategy(spec, model, memoryLimit(spec, deviceMemoryGib), strategyLines);
        Recipe r = hyperparameters(spec, training, model, deviceName, deviceMemoryGib, measured, runner, runnerReason);
        if (strategyLines.isEmpty()) {
            return r;
        }
        List<String> lines = new ArrayList<>(strategyLines);
        lines.addAll(r.lines());
        return new Recipe(r.spec(), lines, compute(r.spec(), training, model, deviceName, deviceMemoryGib, measured,
                runner, runnerReason, lines));
    }

    /**
     * Chooses the strategy of a job on several GPUs whose spec leaves it to the service: DDP when the weights, their
     * gradients and optimizer state (and a full DPO's reference) fit one GPU within {@link Recipe#MEMORY_SHARE} of its
     * memory, else FSDP for a full fine-tune; an adapter's base is frozen and cannot be sharded usefully, so adapters
     * stay on DDP.
     */
    private JobSpec strategy(JobSpec spec, ModelShape model, Double limit, List<String> lines) {
        Resources r = spec.resources();
        if (r.gpus() <= 1 || r.strategy() != Strategy.AUTO) {
            return spec;
        }
        JobSpec ddp = spec.toBuilder().resources(r.withStrategy(Strategy.DDP)).build();
        // what stays whatever the micro-batch: any concrete setting of the auto values shows it
        CostEstimate.MemoryEstimate m = memory(Recipe.with(ddp, true, 1), model, trainable(spec, model), false, false,
                1);
        double state = m.weights() + m.gradients() + m.optimizer() + m.reference();
        boolean full = spec.method().adapter() == AdapterType.FULL;
        if (limit == null || state <= Recipe.MEMORY_SHARE * limit || !full) {
            lines.add(String.format(Locale.ROOT, "recipe: strategy ddp (auto: %s)", limit == null
                    ? "the GPU's memory is unknown, so nothing shows the model needs sharding"
                    : state <= Recipe.MEMORY_SHARE * limit ? String.format(Locale.ROOT, "weights, gradients and "
                            + "optimizer state, %.1f GiB, fit within %.0f%% of one GPU's %.0f GiB", state,
                            100 * Recipe.MEMORY_SHARE, limit)
                    : "an adapter trains few weights; its frozen base is not sharded"));
            return ddp;
        }
        lines.add(String.format(Locale.ROOT, "recipe: strategy fsdp (auto: weights, gradients and optimizer state, %.1f "
                + "GiB, do not fit within %.0f%% of one GPU's %.0f GiB; sharded over %d GPUs they are %.1f GiB each)",
                state, 100 * Recipe.MEMORY_SHARE, limit, r.gpus(), state / r.gpus()));
        return spec.toBuilder().resources(r.withStrategy(Strategy.FSDP)).build();
    }

    private Recipe hyperparameters(JobSpec spec, DatasetStats training, ModelShape model, String deviceName,
            Double deviceMemoryGib, List<Measured> measured, String runner, String runnerReason) {
        if (!Recipe.hasAuto(spec)) {
            return new Recipe(spec, List.of(), compute(spec, training, model, deviceName, deviceMemoryGib, measured,
                    runner, runnerReason, List.of()));
        }
        Hyperparameters h = spec.hyperparameters();
        boolean cpu = spec.resources().gpus() == 0;
        Double limit = memoryLimit(spec, deviceMemoryGib);
        if (cpu || limit == null) {
            Recipe r = Recipe.unestimated(cpu && h.autoGradientCheckpointing() ? with(spec, false) : spec, cpu
                    ? "a CPU job: host memory is not planned against" : "the GPU's memory is unknown");
            List<String> lines = new ArrayList<>(r.lines());
            if (cpu && h.autoGradientCheckpointing()) {
                lines.add(0, "recipe: gradient checkpointing off (auto; a CPU job: recomputation only costs time, "
                        + "and host memory is not planned against)");
            }
            return new Recipe(r.spec(), lines, compute(r.spec(), training, model, deviceName, deviceMemoryGib, measured,
                    runner, runnerReason, lines));
        }
        List<Boolean> settings = h.autoGradientCheckpointing() ? List.of(false, true) : List.of(h.gradientCheckpointing());
        boolean tokens = h.tokenMicroSteps();
        // A micro-step's size: examples (micro-batch auto: the divisors of the batch), or a token budget (auto: 1, 2,
        // 4 ... sequences of max_seq_length, up to the step's examples; more would never be filled)
        List<Integer> micros = h.autoMicroBatch()
                ? Recipe.divisorsDescending(Recipe.perGpuBatch(spec), Recipe.MAX_AUTO_MICRO_BATCH)
                : h.autoMicroBatchTokens() ? budgets(Recipe.perGpuBatch(spec), h.maxSeqLength())
                : List.of(tokens ? h.microBatchTokens() : h.microBatchSize());
        java.util.function.BiFunction<Boolean, Integer, JobSpec> make = (checkpointing, size) -> tokens
                ? Recipe.withTokens(spec, checkpointing, size) : Recipe.with(spec, checkpointing, size);
        double budget = Recipe.MEMORY_SHARE * limit;
        JobSpec best = null;
        CostEstimate bestEstimate = null;
        for (boolean checkpointing : settings) {
            for (int micro : micros) {
                JobSpec candidate = make.apply(checkpointing, micro);
                CostEstimate e = compute(candidate, training, model, deviceName, deviceMemoryGib, measured, runner,
                        runnerReason, List.of());
                if (e.memory().total() <= budget && (bestEstimate == null
                        || e.tokensPerSecond() > bestEstimate.tokensPerSecond())) {
                    best = candidate;
                    bestEstimate = e;
                }
            }
        }
        if (best == null) {
            // Nothing fits: the least memory there is; the estimate says it does not fit.
            best = make.apply(h.autoGradientCheckpointing() || h.gradientCheckpointing(), micros.get(micros.size() - 1));
        }
        Hyperparameters chosen = best.hyperparameters();
        List<String> lines = new ArrayList<>();
        if (h.autoGradientCheckpointing()) {
            CostEstimate without = compute(make.apply(false, tokens ? chosen.microBatchTokens()
                    : chosen.microBatchSize()), training, model,
                    deviceName, deviceMemoryGib, measured, runner, runnerReason, List.of());
            lines.add(chosen.gradientCheckpointing()
                    ? String.format(Locale.ROOT, "recipe: gradient checkpointing on (auto: without it the peak "
                            + "would be %.1f GiB, more than %.0f%% of the GPU's %.0f GiB)", without.memory().total(),
                            100 * Recipe.MEMORY_SHARE, limit)
                    : String.format(Locale.ROOT, "recipe: gradient checkpointing off (auto: the peak without it, %.1f "
                            + "GiB, is within %.0f%% of the GPU's %.0f GiB; a step is about %.2fx faster without "
                            + "recomputation)", without.memory().total(), 100 * Recipe.MEMORY_SHARE, limit,
                            table.noCheckpointing.get(method(spec))));
        }
        if (h.autoMicroBatch()) {
            int micro = chosen.microBatchSize();
            int larger = micros.stream().filter(m -> m > micro).reduce((a, b) -> b).orElse(0);
            String next = "";
            if (larger > 0) {
                CostEstimate e = compute(Recipe.with(spec, chosen.gradientCheckpointing(), larger), training, model,
                        deviceName, deviceMemoryGib, measured, runner, runnerReason, List.of());
                next = String.format(Locale.ROOT, "; %d would need %.1f GiB", larger, e.memory().total());
            }
            lines.add(String.format(Locale.ROOT, "recipe: micro-batch %d x accumulation %d = batch %d (auto: the "
                    + "fastest that fits %.0f%% of the GPU's %.0f GiB%s)", micro, chosen.gradientAccumulationSteps(),
                    chosen.batchSize(), 100 * Recipe.MEMORY_SHARE, limit, next));
        }
        if (h.autoMicroBatchTokens()) {
            int chosenBudget = chosen.microBatchTokens();
            int larger = micros.stream().filter(m -> m > chosenBudget).reduce((a, b) -> b).orElse(0);
            String next = "";
            if (larger > 0) {
                CostEstimate e = compute(Recipe.withTokens(spec, chosen.gradientCheckpointing(), larger), training,
                        model, deviceName, deviceMemoryGib, measured, runner, runnerReason, List.of());
                next = String.format(Locale.ROOT, "; %,d would need %.1f GiB", larger, e.memory().total());
            }
            lines.add(String.format(Locale.ROOT, "recipe: micro-steps of up to %,d tokens, each step's %d examples "
                    + "grouped by length (auto: the largest that fits %.0f%% of the GPU's %.0f GiB%s)", chosenBudget,
                    Recipe.perGpuBatch(best), 100 * Recipe.MEMORY_SHARE, limit, next));
        }
        return new Recipe(best, lines, compute(best, training, model, deviceName, deviceMemoryGib, measured, runner,
                runnerReason, lines));
    }

    /**
     * @return the token budgets auto tries, largest first: 1, 2, 4 ... sequences of max_seq_length up to the step's
     *     examples on one GPU (and that count itself), at most {@link Recipe#MAX_AUTO_BUDGET_SEQUENCES}
     */
    static List<Integer> budgets(int perGpuBatch, int maxSeqLength) {
        int most = Math.max(1, Math.min(perGpuBatch, Recipe.MAX_AUTO_BUDGET_SEQUENCES));
        java.util.TreeSet<Integer> sequences = new java.util.TreeSet<>(java.util.Comparator.reverseOrder());
        sequences.add(most);
        for (int k = 1; k <= most; k *= 2) {
            sequences.add(k);
        }
        List<Integer> out = new ArrayList<>();
        for (int k : sequences) {
            out.add((int) Math.min(Hyperparameters.MAX_MICRO_BATCH_TOKENS, (long) k * maxSeqLength));
        }
        return out.stream().distinct().toList();
    }

    private static JobSpec with(JobSpec spec, boolean checkpointing) {
        return spec.toBuilder().hyperparameters(spec.hyperparameters().toBuilder().gradientCheckpointing(checkpointing)
                .build()).build();
    }

    private static boolean hasHistogram(DatasetStats training) {
        return training.lengthHistogram() != null && training.lengthHistogram().total() > 0;
    }

    /**
     * What a language model's micro-steps hold on one GPU: from the data's length histogram (with the chat
     * template's tokens added to each sequence) as the trainer makes them, or without one every sequence at the mean
     * length.
     */
    static Batching.MicroSteps microSteps(JobSpec spec, DatasetStats training, double perSequence,
            double templatePerSequence, double sequencesPerExample, boolean groupedPairs) {
        Hyperparameters h = spec.hyperparameters();
        int rows = (int) Math.max(1, Math.round(h.microBatchSize() * sequencesPerExample));
        int accumulation = h.gradientAccumulationSteps() == null ? 1 : h.gradientAccumulationSteps();
        boolean tokens = h.tokenMicroSteps();
        int budget = tokens ? Math.max(h.maxSeqLength(), h.microBatchTokens()) : 0;
        int perGpu = Recipe.perGpuBatch(spec);
        if (!hasHistogram(training)) {
            double length = Math.min(h.maxSeqLength(), Math.max(1, perSequence));
            if (tokens) {
                double fit = Math.max(1, Math.min(perGpu, Math.floor(budget / length)));
                double steps = Math.ceil(perGpu / fit);
                return new Batching.MicroSteps(perGpu * length / steps, perGpu * length / steps, steps);
            }
            return new Batching.MicroSteps(rows * length, rows * length, accumulation);
        }
        int[] lengths = Batching.lengths(training.lengthHistogram(), training.sequences(),
                (int) Math.round(templatePerSequence), h.maxSeqLength());
        if (tokens) {
            return Batching.ofTokens(lengths, perGpu, budget, h.seed());
        }
        return groupedPairs ? Batching.ofGroupedPairs(lengths, h.microBatchSize(), accumulation, h.seed())
                : Batching.ofExamples(lengths, rows, accumulation);
    }

    private static String batchingLine(JobSpec spec, Batching.MicroSteps micro, boolean histogram,
            boolean groupedPairs) {
        Hyperparameters h = spec.hyperparameters();
        String how = h.tokenMicroSteps() ? String.format(Locale.ROOT, "micro-steps of up to %,d tokens, each step's %d "
                + "examples grouped by length", h.microBatchTokens(), Recipe.perGpuBatch(spec))
                : String.format(Locale.ROOT, "micro-batch %d x accumulation %d, %s", h.microBatchSize(),
                        h.gradientAccumulationSteps(), groupedPairs ? "pairs grouped by length" : "random batches");
        return String.format(Locale.ROOT, "batching: %s: %,.0f tokens a micro-step, %.2f micro-steps a step, padding "
                + "%.1f%% (%s)", how, micro.tokens(), micro.microStepsPerStep(), 100 * micro.paddingFraction(),
                histogram ? "from the data's length histogram" : "no length histogram: every sequence at the mean "
                        + "length");
    }

    private static Double memoryLimit(JobSpec spec, Double deviceMemoryGib) {
        if (deviceMemoryGib == null && spec.resources().minGpuMemoryGib() != null) {
            return spec.resources().minGpuMemoryGib().doubleValue();
        }
        return deviceMemoryGib;
    }

    private static String method(JobSpec spec) {
        return spec.method().objective() == Objective.DPO ? "dpo"
                : spec.method().adapter() == AdapterType.FULL ? "full" : "lora";
    }

    private CostEstimate compute(JobSpec spec, DatasetStats training, ModelShape model, String deviceName,
            Double deviceMemoryGib, List<Measured> measured, String runner, String runnerReason, List<String> recipe) {
        List<String> lines = new ArrayList<>();
        if (runnerReason != null) {
            lines.add("runner: " + runner + " (" + runnerReason + ")");
        }
        lines.addAll(recipe);
        Hyperparameters h = spec.hyperparameters();
        boolean dpo = spec.method().objective() == Objective.DPO;
        AdapterType adapter = spec.method().adapter();
        int gpus = spec.resources().gpus();
        boolean cpu = gpus == 0;

        // Tokens.
        long sequences = Math.max(1, training.sequences());
        boolean encoder = !spec.method().objective().languageModel();
        // Chat templates add role headers and end markers the content count does not see; DPO formats the prompt
        // into both of its sequences. An encoder's tokenizer adds [CLS] and [SEP] to each text, and a [SEP] between
        // a reranker's query and document.
        long template = encoder ? encoderSpecialTokens(spec) * sequences
                : TEMPLATE_TOKENS_PER_MESSAGE * (training.messages() + (dpo ? training.examples() : 0));
        long perEpoch = Math.min(training.tokensWithinMaxLength() + template, sequences * (long) h.maxSeqLength());
        double perSequence = (double) perEpoch / sequences;
        // A pairs example is its anchor, positive and negatives, each embedded alone; a group is one sequence for
        // each of its documents.
        double sequencesPerExample = encoder ? (double) sequences / Math.max(1, training.examples()) : dpo ? 2 : 1;
        long tokens;
        String count = training.tokensExact() ? "exact, model tokenizer" : "approximate, ~4 characters a token";
        if (h.maxSteps() != null) {
            long seqPerStep = Math.round(h.batchSize() * sequencesPerExample);
            tokens = Math.round(h.maxSteps() * seqPerStep * perSequence);
            lines.add(String.format(Locale.ROOT, "tokens: %,d steps x %d sequences x %,.0f tokens on average (%s) = "
                    + "%,d", h.maxSteps(), seqPerStep, perSequence, count, tokens));
        } else {
            tokens = perEpoch * h.epochs();
            lines.add(encoder ? String.format(Locale.ROOT, "tokens: %,d examples of %,d sequences, %,d tokens within "
                    + "max_seq_length %d (%s, with %d special tokens a sequence); x %d epochs = %,d", training.examples(),
                    sequences, perEpoch, h.maxSeqLength(), count, encoderSpecialTokens(spec), h.epochs(), tokens)
                    : String.format(Locale.ROOT, "tokens: %,d %s, %,d tokens within max_seq_length %d (%s, with ~%d "
                    + "chat-template tokens a message); x %d epochs = %,d", training.examples(),
                    dpo ? "pairs (chosen and rejected each a sequence)" : "examples", perEpoch, h.maxSeqLength(), count,
                    TEMPLATE_TOKENS_PER_MESSAGE, h.epochs(), tokens));
        }

        // Micro-steps: what they hold, and their padding.
        boolean groupedPairs = groupedPairs(spec, runner);
        Batching.MicroSteps micro = encoder ? null : microSteps(spec, training, perSequence,
                (double) template / sequences, sequencesPerExample, groupedPairs);
        CostEstimate.Batching batching = null;
        if (micro != null) {
            boolean histogram = hasHistogram(training);
            batching = new CostEstimate.Batching(h.tokenMicroSteps() ? h.microBatchTokens() : null, micro.tokens(),
                    micro.paddingFraction(), micro.microStepsPerStep(), histogram);
            lines.add(batchingLine(spec, micro, histogram, groupedPairs));
        }

        // Parameters.
        long n = model.parameters();
        long trainable = trainable(spec, model);
        if (adapter == AdapterType.FULL) {
            lines.add("parameters: " + model.describe() + "; all trainable");
        } else {
            lines.add(String.format(Locale.ROOT, "parameters: %s; trainable %,d (LoRA rank %d on %s)",
                    model.describe(), trainable, spec.method().lora().rank(),
                    String.join(", ", spec.method().lora().targetModules())));
        }

        // Compute.
        boolean checkpointing = h.gradientCheckpointing();
        double perToken = (adapter == AdapterType.FULL ? 6 : 4) + (checkpointing ? 2 : 0) + (dpo ? 2 : 0);
        double flops = perToken * n * tokens;
        lines.add(String.format(Locale.ROOT, "compute: %,d tokens x %.0fN (%s%s%s) = %.3g FLOPs", tokens, perToken,
                adapter == AdapterType.FULL ? "6N forward and backward" : "4N forward and backward through frozen "
                        + "weights", checkpointing ? ", 2N recomputation" : "", dpo ? ", 2N reference forward" : "",
                flops));

        // Throughput.
        String kind = kind(spec.method().label(), runner);
        Throughput t = throughput(spec, model, cpu, deviceName, measured, kind, runner, perSequence,
                sequencesPerExample, micro);
        double perSecond = t.tokensPerSecond * Math.max(1, gpus) * scaling(gpus);
        String device = cpu ? "cpu" : t.device;
        lines.add(String.format(Locale.ROOT, "throughput: %,.0f tokens/s %s (%s)", perSecond,
                cpu ? "on the CPU" : "on " + gpus + " x " + device
                        + (gpus > 1 ? ", 90% scaling per doubling, assumed" : ""),
                t.basis));

        // Time.
        double start = startupSeconds(runner);
        double load = start + LOAD_SECONDS_PER_BILLION * n / 1e9;
        double trainSeconds = tokens / perSecond;
        double wall = trainSeconds + load;
        double gpuHours = cpu ? 0 : gpus * wall / 3600;
        lines.add(String.format(Locale.ROOT, "time: %,d / %,.0f = %s training + %s starting and loading%s = %s", tokens,
                perSecond, seconds(trainSeconds), seconds(load), start == STARTUP_SECONDS ? "" : String.format(
                        Locale.ROOT, " (%s: %.0f s more to start, measured on a CPU outside CI, assumed on a GPU)",
                        runner, start - STARTUP_SECONDS), seconds(wall)));
        Double price = null;
        if (cpu) {
            lines.add("GPU-hours: 0 (a CPU job)");
        } else {
            Optional<Double> rate = pricing.price(t.device);
            String money = "";
            if (rate.isPresent()) {
                price = gpuHours * rate.get();
                money = String.format(Locale.ROOT, "; at %.2f %s per GPU-hour = %.2f %s", rate.get(),
                        pricing.currency(), price, pricing.currency());
            }
            lines.add(String.format(Locale.ROOT, "GPU-hours: %d GPU%s x %s = %.3f GPU-h%s", gpus, gpus > 1 ? "s" : "",
                    seconds(wall), gpuHours, money));
        }

        // Memory.
        boolean chunkedLoss = chunkedLoss(spec, runner);
        CostEstimate.MemoryEstimate memory = memory(spec, model, trainable, cpu, chunkedLoss, sequencesPerExample);
        String memoryBasis = "";
        List<Double> memoryRatios = new ArrayList<>();
        for (Measured m : measured) {
            double ratio = (double) m.parameters() / model.parameters();
            if (m.memoryRatio() != null && m.device().equalsIgnoreCase(device) && m.method().equals(kind) && ratio > 0.5
                    && ratio < 2) {
                memoryRatios.add(m.memoryRatio());
            }
        }
        if (!memoryRatios.isEmpty()) {
            memoryRatios.sort(Double::compare);
            double median = memoryRatios.get(memoryRatios.size() / 2);
            // Only ever raised: a model that ran high on similar jobs is corrected, one that ran low keeps its margin.
            if (median > 1) {
                memory = scaled(memory, median);
                memoryBasis = String.format(Locale.ROOT, "; x %.2f: the median measured / estimated peak of %d "
                        + "finished %s job%s on %s with a model of similar size", median, memoryRatios.size(), kind,
                        memoryRatios.size() > 1 ? "s" : "", device);
            }
        }
        Double limit = memoryLimit(spec, deviceMemoryGib);
        boolean fits = limit == null || memory.total() <= limit;
        String loss = encoder ? String.format(Locale.ROOT, "in-batch similarity %.2f (%s)", memory.logits(),
                similarityLabel(spec, sequencesPerExample))
                : String.format(Locale.ROOT, "logits %.2f (the loss's fp32 log-probabilities and gradient, vocabulary "
                        + "%,d%s)", memory.logits(), model.vocab(), chunkedLoss ? String.format(Locale.ROOT,
                        ", TRL's chunked loss: %d tokens at a time", LOSS_CHUNK) : "");
        lines.add(String.format(Locale.ROOT, "memory per %s: weights %.2f GiB (%s) + optimizer %.2f%s + the larger of "
                + "activations %.2f (%s) + %s and gradients %.2f, + overhead %.2f = %.2f GiB%s", cpu ? "host" : "GPU",
                memory.weights(), weightLabel(spec, cpu), memory.optimizer(),
                memory.reference() > 0 ? String.format(Locale.ROOT, " + frozen reference %.2f", memory.reference()) : "",
                memory.activations(), ActivationMemory.Family.of(model.family()).name().toLowerCase(Locale.ROOT)
                        + "-family layers, " + (h.tokenMicroSteps() ? String.format(Locale.ROOT, "up to %,d tokens",
                                h.microBatchTokens()) : activationSequences(spec, sequencesPerExample) + " sequences")
                        + " a micro-step, " + (checkpointing ? "gradient checkpointing: every layer's input and one "
                        + "layer recomputed" : "no gradient checkpointing"), loss,
                memory.gradients(), memory.overhead(), memory.total(), limit == null ? "" : String.format(Locale.ROOT,
                        " of %.0f GiB%s: %s", limit, deviceName == null ? "" : " (" + device + ")",
                        fits ? "fits" : "DOES NOT FIT"))
                + memoryBasis);
        return CostEstimate.builder().examples(training.examples()).tokens(tokens).tokensExact(training.tokensExact())
                .parameters(n).trainableParameters(trainable).flops(flops).device(device).gpus(gpus)
                .tokensPerSecond(perSecond).basis(t.basis).wallSeconds(wall).gpuHours(gpuHours).price(price)
                .currency(price == null ? null : pricing.currency()).memory(memory).memoryLimitGib(limit).fits(fits)
                .breakdown(lines).batching(batching).build();
    }

    private static CostEstimate.MemoryEstimate scaled(CostEstimate.MemoryEstimate m, double f) {
        return new CostEstimate.MemoryEstimate(m.weights() * f, m.gradients() * f, m.optimizer() * f,
                m.activations() * f, m.logits() * f, m.reference() * f, m.overhead() * f, m.total() * f);
    }

    private static String weightLabel(JobSpec spec, boolean cpu) {
        if (spec.method().adapter() == AdapterType.QLORA) {
            return spec.method().quantization().type().wireName() + " 4-bit, embeddings 16-bit";
        }
        return bytesPerParam(spec, cpu) == 4 ? "fp32" : "bf16";
    }

    static int bytesPerParam(JobSpec spec, boolean cpu) {
        Precision p = spec.hyperparameters().precision();
        if (p == Precision.FP32 || (p == Precision.AUTO && cpu)) {
            return 4;
        }
        return 2;
    }

    /** Tokens TRL's SFT loss projects to the vocabulary at a time (its default loss, chunked_nll, since TRL 1.x). */
    static final int LOSS_CHUNK = 256;

    /**
     * @return whether the job's loss runs in chunks of {@link #LOSS_CHUNK} tokens, so the vocabulary-wide logits of the
     *     whole micro-batch never exist at once: TRL's SFT does (measured on an H200: a 0.5B model with a 151,936-token
     *     vocabulary peaked at 2.5 GiB, below its own micro-batch's bf16 logits); its DPO and the other runners do not
     */
    static boolean chunkedLoss(JobSpec spec, String runner) {
        return "trl".equals(runner) && spec.method().objective() == Objective.SFT;
    }

    /**
     * @return whether the job's micro-batches hold preference pairs grouped by length: the TRL runner's DPO does
     *     (token_batching.length_grouped); the other runners' DPO takes random batches
     */
    static boolean groupedPairs(JobSpec spec, String runner) {
        return "trl".equals(runner) && spec.method().objective() == Objective.DPO;
    }

    /** @return the parameters the job trains: all of them, or its LoRA adapter's */
    private static long trainable(JobSpec spec, ModelShape model) {
        return spec.method().adapter() == AdapterType.FULL ? model.parameters()
                : model.loraParameters(spec.method().lora().rank(), spec.method().lora().targetModules());
    }

    /** @return the special tokens an encoder's tokenizer adds to a sequence: [CLS] and [SEP], and a reranker's middle [SEP] */
    static int encoderSpecialTokens(JobSpec spec) {
        return spec.method().objective() == Objective.RERANKER ? 3 : 2;
    }

    /**
     * @return the sequences whose activations a micro-step keeps at once: the micro-batch's examples times their
     *     sequences (DPO's chosen and rejected; an embedding example's texts; a group's documents), or with the
     *     cached contrastive loss the mini-batch it embeds at a time
     */
    static long activationSequences(JobSpec spec, double sequencesPerExample) {
        long all = Math.max(1, Math.round(spec.hyperparameters().microBatchSize() * sequencesPerExample));
        EmbeddingConfig e = spec.method().embedding();
        if (spec.method().objective() == Objective.EMBEDDING && e != null
                && e.loss() == EmbeddingLoss.CACHED_MULTIPLE_NEGATIVES_RANKING && e.miniBatchSize() != null) {
            return Math.min(all, e.miniBatchSize());
        }
        return all;
    }

    /**
     * The bytes of a contrastive loss's in-batch similarity matrix: every query of the micro-batch against every
     * positive and hard negative of it, in fp32, with its log-softmax and gradient (three matrices), once for each
     * Matryoshka size; none for a reranker, whose loss holds one score a pair.
     */
    static double similarityBytes(JobSpec spec, double sequencesPerExample) {
        if (spec.method().objective() != Objective.EMBEDDING) {
            return 0;
        }
        double queries = spec.hyperparameters().microBatchSize();
        double documents = queries * Math.max(1, sequencesPerExample - 1);
        return 3 * 4.0 * queries * documents * matryoshkaSizes(spec);
    }

    /** @return how many times a contrastive loss runs: once, or once for each Matryoshka size */
    private static int matryoshkaSizes(JobSpec spec) {
        EmbeddingConfig e = spec.method().embedding();
        return e == null || e.matryoshkaDims() == null || e.matryoshkaDims().isEmpty() ? 1 : e.matryoshkaDims().size();
    }

    private static String similarityLabel(JobSpec spec, double sequencesPerExample) {
        if (spec.method().objective() != Objective.EMBEDDING) {
            return "a reranker's loss holds one score a pair";
        }
        long queries = spec.hyperparameters().microBatchSize();
        int sizes = matryoshkaSizes(spec);
        return String.format(Locale.ROOT, "%d queries x %d documents in fp32, scores, log-softmax and gradient%s",
                queries, Math.round(queries * Math.max(1, sequencesPerExample - 1)), sizes > 1
                        ? " x " + sizes + " Matryoshka sizes" : "");
    }

    CostEstimate.MemoryEstimate memory(JobSpec spec, ModelShape m, long trainable, boolean cpu, boolean chunkedLoss,
            double sequencesPerExample) {
        Hyperparameters h = spec.hyperparameters();
        int bytes = bytesPerParam(spec, cpu);
        boolean dpo = spec.method().objective() == Objective.DPO;
        double weights;
        if (spec.method().adapter() == AdapterType.QLORA) {
            long embeddings = m.embeddingParameters();
            weights = ((m.parameters() - embeddings) * 0.55 + embeddings * 2.0) / GIB;
        } else {
            weights = m.parameters() * (double) bytes / GIB;
        }
        double gradients = trainable * (double) bytes / GIB;
        double optimizer = 2.0 * trainable * bytes / GIB;
        // What the layers and the loss keep for backward, derived op by op (ActivationMemory): DPO's policy runs
        // chosen and rejected, twice the sequences; the reference runs without gradients and keeps nothing.
        boolean lora = spec.method().adapter() != AdapterType.FULL;
        ActivationMemory.PerToken per = ActivationMemory.of(m, lora, lora ? spec.method().lora().targetModules()
                : List.of(), lora ? spec.method().lora().rank() : 0, bytes);
        boolean encoder = !spec.method().objective().languageModel();
        long tokens = h.tokenMicroSteps() ? Math.max(h.maxSeqLength(), h.microBatchTokens())
                : (encoder ? activationSequences(spec, sequencesPerExample) : (long) h.microBatchSize()
                * (dpo ? 2 : 1)) * h.maxSeqLength();
        double saved = per.bytes(tokens, m.layers(), h.gradientCheckpointing());
        double activations = (saved - tokens * per.restBytesPerToken()) / GIB;
        double logits;
        if (encoder) {
            // No vocabulary-wide loss (a decoder-based embedding model's head is not used): what stays outside the
            // layers, and the contrastive loss's similarity matrix.
            double outside = per.restBytesPerToken() - (m.encoder() ? 0 : 4.0 * m.vocab());
            logits = (tokens * outside + similarityBytes(spec, sequencesPerExample)) / GIB;
        } else {
            // The loss keeps fp32 log-probabilities of the whole vocabulary (in restBytesPerToken); its backward
            // then makes their gradient in fp32 and casts it to the logits' dtype while they are still held.
            double vocabulary = (4.0 + 4.0 + bytes) * m.vocab();
            long lossTokens = chunkedLoss ? Math.min(tokens, LOSS_CHUNK) : tokens;
            logits = (tokens * (per.restBytesPerToken() - 4.0 * m.vocab()) + lossTokens * vocabulary) / GIB;
        }
        double reference = dpo && spec.method().adapter() == AdapterType.FULL ? weights : 0;
        // Allocator reserve and kernel workspaces (the CUDA context is outside PyTorch's own peak).
        double overhead = cpu ? 0.5 : 0.75;
        int world = Math.max(1, spec.resources().gpus());
        if (world > 1 && spec.resources().strategy() == Strategy.FSDP) {
            // Each GPU keeps its shard of the weights, gradients and optimizer state (and of the frozen reference),
            // and gathers one decoder layer's full weights at a time, two with prefetching.
            double layer = weights / Math.max(1, m.layers());
            weights = weights / world + 2 * layer;
            gradients /= world;
            optimizer /= world;
            reference /= world;
        } else if (world > 1) {
            // DDP copies the gradients into its own buckets for the all-reduce; they stay for the whole run.
            overhead += gradients;
        }
        // Gradients appear during backward as the activations go (the trainer frees them between steps), so the
        // peak is the larger of the two, on top of what stays: weights, optimizer states, the reference.
        double total = weights + optimizer + reference + Math.max(activations + logits, gradients) + overhead;
        return new CostEstimate.MemoryEstimate(weights, gradients, optimizer, activations, logits, reference, overhead,
                total);
    }

    private record Throughput(double tokensPerSecond, String device, String basis) {
    }

    /** @return what finished jobs are matched on: the method and the runner, for example {@code sft+lora with trl} */
    public static String kind(String methodLabel, String runner) {
        return methodLabel + " with " + runner;
    }

    private Throughput throughput(JobSpec spec, ModelShape model, boolean cpu, String deviceName,
            List<Measured> measured, String kind, String runner, double tokensPerSequence, double sequencesPerExample,
            Batching.MicroSteps micro) {
        String device = cpu ? "cpu" : GpuModels.find(deviceName).map(GpuModels.GpuModel::type)
                .orElse(deviceName == null ? GpuModels.reference().type() : deviceName);
        List<Double> similar = new ArrayList<>();
        for (Measured m : measured) {
            double ratio = (double) m.parameters() / model.parameters();
            if (m.device().equalsIgnoreCase(device) && m.method().equals(kind) && ratio > 0.5 && ratio < 2) {
                similar.add(m.tokensPerSecond() * ratio);
            }
        }
        if (!similar.isEmpty()) {
            similar.sort(Double::compare);
            double median = similar.get(similar.size() / 2);
            int gpus = Math.max(1, spec.resources().gpus());
            return new Throughput(median / gpus, device, "measured: median of " + similar.size() + " finished "
                    + kind + " job" + (similar.size() > 1 ? "s" : "") + " on " + device + " with a model of similar "
                    + "size, scaled by parameters");
        }
        if (cpu) {
            int cores = Runtime.getRuntime().availableProcessors();
            double flopsPerToken = (spec.method().adapter() == AdapterType.FULL ? 6 : 4) * (double) model.parameters();
            double perSecond = 25e9 * cores / flopsPerToken;
            String basis = "assumed: 25 GFLOP/s per CPU core x " + cores + " cores; run a job to calibrate";
            if (micro != null && micro.paddingFraction() > 0.0005) {
                perSecond *= 1 - micro.paddingFraction();
                basis += String.format(Locale.ROOT, "; x %.2f for padding (%.1f%% of a micro-step's tokens)",
                        1 - micro.paddingFraction(), 100 * micro.paddingFraction());
            }
            if ("axolotl".equals(runner)) {
                perSecond /= AXOLOTL_CPU_SLOWDOWN;
                basis += String.format(Locale.ROOT, "; / %.1f for axolotl (measured on a CPU outside CI: 2.9-4.5x "
                        + "TRL's time for the same job)", AXOLOTL_CPU_SLOWDOWN);
            }
            return new Throughput(perSecond, "cpu", basis);
        }
        String method = method(spec);
        double paramsB = model.parameters() / 1e9;
        double reference = table.interpolate(method, paramsB);
        List<String> notes = new ArrayList<>();
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
            notes.add(String.format(Locale.ROOT, "x %.2f for %,.0f tokens (padding included) a micro-step on each GPU "
                    + "(a micro-step costs %.2f s of fixed overhead plus its tokens at the saturated rate; %s)", shape,
                    microTokens, table.overhead(referenceTokens / reference), table.overheadSource));
        }
        double factor = 1;
        if (micro != null && micro.paddingFraction() > 0.0005) {
            factor *= 1 - micro.paddingFraction();
            notes.add(String.format(Locale.ROOT, "x %.2f for padding (%.1f%% of a micro-step's tokens)",
                    1 - micro.paddingFraction(), 100 * micro.paddingFraction()));
        }
        switch (runner) {
            case "trl" -> {
            }
            case "sentence-transformers" -> notes.add("assumed: an encoder as fast as a decoder of its size under "
                    + "TRL (no encoder measured on a GPU yet)");
            case "unsloth" -> {
                factor *= UNSLOTH_FACTOR;
                notes.add(String.format(Locale.ROOT, "x %.2f for unsloth (assumed: its published speed-up of LoRA "
                        + "over plain Hugging Face training, not measured here)", UNSLOTH_FACTOR));
            }
            case "axolotl" -> notes.add("runner axolotl assumed as fast as TRL on a GPU (not measured on one; on a "
                    + "CPU it took 2.9-4.5x TRL's time)");
            default -> notes.add("runner " + runner + " assumed as fast as TRL (not measured)");
        }
        if (spec.method().adapter() == AdapterType.QLORA) {
            factor *= table.qlora;
            notes.add(String.format(Locale.ROOT, "x %.2f assumed for 4-bit dequantisation", table.qlora));
        }
        if (spec.hyperparameters().packing()) {
            factor *= table.packing;
            notes.add(String.format(Locale.ROOT, "x %.2f for packing without flash attention", table.packing));
        }
        if (!spec.hyperparameters().gradientCheckpointing()) {
            double faster = table.noCheckpointing.get(method);
            factor *= faster;
            notes.add(String.format(Locale.ROOT, "x %.2f without gradient checkpointing (measured: %s)", faster,
                    table.noCheckpointingSource));
        }
        Optional<GpuModels.GpuModel> gpu = GpuModels.find(device);
        double scale = gpu.map(g -> g.bf16Tflops() / GpuModels.reference().bf16Tflops()).orElse(1.0);
        if (gpu.isEmpty()) {
            notes.add("unknown GPU " + device + ": assumed as fast as an H100");
        } else if (scale != 1.0) {
            notes.add(String.format(Locale.ROOT, "x %.2f for %s's bf16 throughput", scale, gpu.get().type()));
        }
        return new Throughput(reference * factor * scale * shape, device, String.join(", ", notes));
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
     * Data-parallel efficiency: 90% per doubling of GPUs. Assumed, not measured: no run on several GPUs has been
     * timed for this table yet (docs/BENCHMARKS.md).
     */
    static double scaling(int gpus) {
        return gpus <= 1 ? 1 : Math.pow(0.9, Math.log(gpus) / Math.log(2));
    }

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

    /**
     * The calibration table: TRL's tokens/s on an H100-class GPU by method and model size, at the reference
     * micro-step (gradient checkpointing on). Points measured with the TRL runner (the GPU sweep) are taken as
     * they are; the plain peft loop's are scaled by TRL's measured speed relative to it. The sweep also gives the
     * fixed cost of a micro-step and the gain without gradient checkpointing.
     */
    static final class Table {
        final String reference;
        final TreeMap<Double, Point> lora = new TreeMap<>();
        final TreeMap<Double, Point> full = new TreeMap<>();
        final TreeMap<Double, Point> dpo = new TreeMap<>();
        final List<JsonNode> sweep = new ArrayList<>();
        String sweepCard;
        double packing;
        double qlora;
        final Map<String, Double> noCheckpointing = new java.util.HashMap<>();
        String noCheckpointingSource;
        double referenceTokens;
        double stepOverhead;
        String overheadSource;

        /** A measured point: TRL-equivalent tokens/s, and where it comes from. */
        record Point(double tokensPerSecond, String source) {
        }

        private Table(String reference) {
            this.reference = reference;
        }

        private TreeMap<Double, Point> series(String method) {
            return switch (method) {
                case "lora" -> lora;
                case "full" -> full;
                default -> dpo;
            };
        }

        static Table load() {
            try (InputStream in = Estimator.class.getResourceAsStream("throughput.json")) {
                JsonNode root = Json.MAPPER.readTree(in);
                Table t = new Table(root.get("reference_gpu").asString());
                t.referenceTokens = root.get("micro_step_tokens").asDouble();
                double trlSft = root.at("/trl_factor/sft").asDouble();
                double trlDpo = root.at("/trl_factor/dpo").asDouble();
                for (JsonNode row : root.get("rows")) {
                    String method = row.get("method").asString();
                    double trl = "dpo".equals(method) ? trlDpo : trlSft;
                    t.series(method).put(row.get("params_b").asDouble(), new Point(row.get("tokens_per_s").asDouble()
                            * trl, "H100 plain loop x TRL"));
                }
                t.sweepCard = root.get("sweep_card").asString();
                for (JsonNode row : root.get("sweep")) {
                    t.sweep.add(row);
                    String method = row.get("method").asString();
                    double tokens = ("dpo".equals(method) ? 2 : 1) * t.referenceTokens;
                    // Points at the reference micro-step, of the reference family, replace the plain loop's.
                    if (row.get("grad_ckpt").asBoolean() && row.get("model").asString().startsWith("llama")
                            && Math.abs(row.get("micro_step_tokens").asDouble() / tokens - 1) < 0.02) {
                        t.series(method).put(row.get("params_b").asDouble(), new Point(row.get("tokens_per_s")
                                .asDouble(), t.sweepCard + " TRL runner"));
                    }
                }
                t.packing = root.get("packing_without_flash_attention").asDouble();
                t.qlora = root.get("qlora_factor").asDouble();
                root.get("no_gradient_checkpointing_factor").properties()
                        .forEach(e -> t.noCheckpointing.put(e.getKey(), e.getValue().asDouble()));
                t.noCheckpointingSource = root.get("no_gradient_checkpointing_source").asString();
                t.stepOverhead = root.at("/step_overhead/seconds").asDouble();
                t.overheadSource = root.at("/step_overhead/source").asString();
                return t;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** The two measured points around a size (both the same one on a measured size; the nearest two beyond). */
        private record Neighbours(Map.Entry<Double, Point> lo, Map.Entry<Double, Point> hi, boolean inside) {
        }

        private Neighbours neighbours(String method, double paramsB) {
            TreeMap<Double, Point> s = series(method);
            var lo = s.floorEntry(paramsB);
            var hi = s.ceilingEntry(paramsB);
            boolean inside = lo != null && hi != null;
            if (lo == null) {
                lo = s.firstEntry();
                hi = s.higherEntry(lo.getKey());
            } else if (hi == null) {
                hi = s.lastEntry();
                lo = s.lowerEntry(hi.getKey());
            }
            return new Neighbours(lo, hi, inside);
        }

        /** Log-log interpolation in parameters; beyond the table, the nearest segment's slope. */
        double interpolate(String method, double paramsB) {
            Neighbours n = neighbours(method, paramsB);
            if (n.lo().getKey().equals(n.hi().getKey())) {
                return n.lo().getValue().tokensPerSecond();
            }
            double x0 = Math.log(n.lo().getKey());
            double x1 = Math.log(n.hi().getKey());
            double y0 = Math.log(n.lo().getValue().tokensPerSecond());
            double y1 = Math.log(n.hi().getValue().tokensPerSecond());
            double y = y0 + (y1 - y0) * (Math.log(paramsB) - x0) / (x1 - x0);
            return Math.exp(y);
        }

        /** @return which measured points {@link #interpolate} used, in words */
        String bracket(String method, double paramsB) {
            Neighbours n = neighbours(method, paramsB);
            if (n.lo().getKey().equals(n.hi().getKey())) {
                return String.format(Locale.ROOT, "the measured point at %.2fB (%,.0f tokens/s, %s)", n.lo().getKey(),
                        n.lo().getValue().tokensPerSecond(), n.lo().getValue().source());
            }
            return String.format(Locale.ROOT, "%s the measured points at %.2fB (%,.0f tokens/s, %s) and %.2fB (%,.0f, "
                    + "%s)", n.inside() ? "between" : "extrapolated from", n.lo().getKey(),
                    n.lo().getValue().tokensPerSecond(), n.lo().getValue().source(), n.hi().getKey(),
                    n.hi().getValue().tokensPerSecond(), n.hi().getValue().source());
        }

        /** @return the fixed cost of a micro-step, at most 90% of a reference step of this many seconds */
        double overhead(double referenceStepSeconds) {
            return Math.min(stepOverhead, 0.9 * referenceStepSeconds);
        }

        /**
         * How fast a micro-step of this many tokens runs relative to the reference one: a micro-step costs a fixed
         * time c plus its tokens at the GPU's saturated rate, which the reference step time gives; few tokens a
         * micro-step leave the GPU waiting on the fixed part.
         *
         * @param tokens tokens of the micro-step on one GPU
         * @param referenceTokens tokens of the reference micro-step
         * @param referenceRate tokens/s at the reference micro-step
         * @return the factor on the reference rate
         */
        double shape(double tokens, double referenceTokens, double referenceRate) {
            double step = referenceTokens / referenceRate;
            double c = overhead(step);
            double saturated = referenceTokens / (step - c);
            return tokens / (c + tokens / saturated) / referenceRate;
        }
    }
}
