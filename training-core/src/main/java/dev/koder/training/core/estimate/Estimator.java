package dev.koder.training.core.estimate;

import dev.koder.training.api.AdapterType;
import dev.koder.training.api.CostEstimate;
import dev.koder.training.api.DatasetStats;
import dev.koder.training.api.Hyperparameters;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.Objective;
import dev.koder.training.api.Resources;
import dev.koder.training.api.Strategy;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Estimates what a job costs before it runs. Tokens come from the dataset scan (exact with the model's
 * tokenizer, else approximate); the model's size from its weights or config; throughput from measured jobs of
 * the same kind when there are some, else from the H100 calibration table (interpolated in parameters, scaled
 * to other GPUs by their bf16 throughput); memory from a term-by-term model of weights, gradients, optimizer,
 * activations and logits. Every figure is explained in {@link CostEstimate#breakdown()}. The parts: {@link Calibration}
 * (the table), {@link Throughput} (tokens a second and what they rest on), {@link PeakMemory} (memory term by term),
 * {@link Batching} (what micro-steps hold) and {@link Recipe} (the auto values); this class chooses the strategy and the
 * recipe, and writes the breakdown.
 */
public final class Estimator {

    /** Tokens a chat template adds to each message (role header, end marker), beyond its content. */
    static final int TEMPLATE_TOKENS_PER_MESSAGE = 5;

    /** Seconds to start a trainer and load a model of one billion parameters (plus a fixed 20 s). */
    static final double LOAD_SECONDS_PER_BILLION = 10;
    static final double GIB = 1024.0 * 1024 * 1024;

    private final Calibration table = Calibration.load();

    /** @return the calibration table this estimator uses */
    Calibration table() {
        return table;
    }

    private final Pricing pricing;

    /**
     * @param pricing price per GPU-hour, if configured
     */
    public Estimator(Pricing pricing) {
        this.pricing = pricing;
    }

    /** @return the prices of GPU-hours */
    public Pricing pricing() {
        return pricing;
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

        /** Property with the price of a GPU-hour; {@code <it>.<type>} prices one GPU type. */
        public static final String PRICE_PROPERTY = "training.price.gpu-hour";
        /** Property with the currency of prices, default USD. */
        public static final String CURRENCY_PROPERTY = "training.price.currency";

        /**
         * @param config the service's settings
         * @return the prices they set: {@value #PRICE_PROPERTY} for every GPU, {@code PRICE_PROPERTY.<type>} for one type
         * @throws IllegalArgumentException naming the property when a price is not a number of 0 or more
         */
        public static Pricing of(dev.koder.training.spi.PluginConfig config) {
            Double price = null;
            java.util.Map<String, Double> byType = new java.util.LinkedHashMap<>();
            for (String key : new java.util.TreeSet<>(config.properties().keySet())) {
                if (key.equals(PRICE_PROPERTY)) {
                    price = price(config, key);
                } else if (key.startsWith(PRICE_PROPERTY + ".")) {
                    byType.put(key.substring(PRICE_PROPERTY.length() + 1).toLowerCase(Locale.ROOT), price(config, key));
                }
            }
            return new Pricing(price, byType, config.text(CURRENCY_PROPERTY).orElse("USD"));
        }

        private static double price(dev.koder.training.spi.PluginConfig config, String key) {
            String value = config.properties().get(key);
            try {
                double d = Double.parseDouble(value.trim());
                if (d >= 0 && !Double.isInfinite(d)) {
                    return d;
                }
            } catch (NumberFormatException e) {
                // refused below
            }
            throw dev.koder.training.spi.PluginConfig.refused(key, "a price of 0 or more", value);
        }

        /** @param type a GPU type, or null @return its price per GPU-hour: by type, else the one price, if set */
        public Optional<Double> price(String type) {
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
        CostEstimate.MemoryEstimate m = PeakMemory.of(Recipe.with(ddp, true, 1), model, PeakMemory.trainable(spec, model),
                false, false, 1);
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

    static String method(JobSpec spec) {
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
        long trainable = PeakMemory.trainable(spec, model);
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
        Throughput t = Throughput.of(table, spec, model, cpu, deviceName, measured, kind, runner, perSequence,
                sequencesPerExample, micro);
        double perSecond = t.tokensPerSecond() * Math.max(1, gpus) * Throughput.scaling(gpus);
        String device = cpu ? "cpu" : t.device();
        lines.add(String.format(Locale.ROOT, "throughput: %,.0f tokens/s %s (%s)", perSecond,
                cpu ? "on the CPU" : "on " + gpus + " x " + device
                        + (gpus > 1 ? ", 90% scaling per doubling, assumed" : ""),
                t.basis()));

        // Time.
        double start = Throughput.startupSeconds(runner);
        double load = start + LOAD_SECONDS_PER_BILLION * n / 1e9;
        double trainSeconds = tokens / perSecond;
        double wall = trainSeconds + load;
        double gpuHours = cpu ? 0 : gpus * wall / 3600;
        lines.add(String.format(Locale.ROOT, "time: %,d / %,.0f = %s training + %s starting and loading%s = %s", tokens,
                perSecond, seconds(trainSeconds), seconds(load), start == Throughput.STARTUP_SECONDS ? "" : String.format(
                        Locale.ROOT, " (%s: %.0f s more to start, measured on a CPU outside CI, assumed on a GPU)",
                        runner, start - Throughput.STARTUP_SECONDS), seconds(wall)));
        Double price = null;
        if (cpu) {
            lines.add("GPU-hours: 0 (a CPU job)");
        } else {
            Optional<Double> rate = pricing.price(t.device());
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
        boolean chunkedLoss = PeakMemory.chunkedLoss(spec, runner);
        CostEstimate.MemoryEstimate memory = PeakMemory.of(spec, model, trainable, cpu, chunkedLoss, sequencesPerExample);
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
                memory = PeakMemory.scaled(memory, median);
                memoryBasis = String.format(Locale.ROOT, "; x %.2f: the median measured / estimated peak of %d "
                        + "finished %s job%s on %s with a model of similar size", median, memoryRatios.size(), kind,
                        memoryRatios.size() > 1 ? "s" : "", device);
            }
        }
        Double limit = memoryLimit(spec, deviceMemoryGib);
        boolean fits = limit == null || memory.total() <= limit;
        String loss = encoder ? String.format(Locale.ROOT, "in-batch similarity %.2f (%s)", memory.logits(),
                PeakMemory.similarityLabel(spec, sequencesPerExample))
                : String.format(Locale.ROOT, "logits %.2f (the loss's fp32 log-probabilities and gradient, vocabulary "
                        + "%,d%s)", memory.logits(), model.vocab(), chunkedLoss ? String.format(Locale.ROOT,
                        ", TRL's chunked loss: %d tokens at a time", PeakMemory.LOSS_CHUNK) : "");
        lines.add(String.format(Locale.ROOT, "memory per %s: weights %.2f GiB (%s) + optimizer %.2f%s + the larger of "
                + "activations %.2f (%s) + %s and gradients %.2f, + overhead %.2f = %.2f GiB%s", cpu ? "host" : "GPU",
                memory.weights(), PeakMemory.weightLabel(spec, cpu), memory.optimizer(),
                memory.reference() > 0 ? String.format(Locale.ROOT, " + frozen reference %.2f", memory.reference()) : "",
                memory.activations(), ActivationMemory.Family.of(model.family()).name().toLowerCase(Locale.ROOT)
                        + "-family layers, " + (h.tokenMicroSteps() ? String.format(Locale.ROOT, "up to %,d tokens",
                                h.microBatchTokens()) : PeakMemory.activationSequences(spec, sequencesPerExample) + " sequences")
                        + " a micro-step, " + (checkpointing ? "gradient checkpointing: every layer's input and one "
                        + "layer recomputed" : "no gradient checkpointing"), loss,
                memory.gradients(), memory.overhead(), memory.total(), limit == null ? "" : String.format(Locale.ROOT,
                        " of %.0f GiB%s: %s", limit, deviceName == null ? "" : " (" + device + ")",
                        fits ? "fits" : "DOES NOT FIT"))
                + memoryBasis);
        return CostEstimate.builder().examples(training.examples()).tokens(tokens).tokensExact(training.tokensExact())
                .parameters(n).trainableParameters(trainable).flops(flops).device(device).gpus(gpus)
                .tokensPerSecond(perSecond).basis(t.basis()).wallSeconds(wall).gpuHours(gpuHours).price(price)
                .currency(price == null ? null : pricing.currency()).memory(memory).memoryLimitGib(limit).fits(fits)
                .breakdown(lines).batching(batching).build();
    }

    /**
     * @return whether the job's micro-batches hold preference pairs grouped by length: the TRL runner's DPO does
     *     (token_batching.length_grouped); the other runners' DPO takes random batches
     */
    static boolean groupedPairs(JobSpec spec, String runner) {
        return "trl".equals(runner) && spec.method().objective() == Objective.DPO;
    }

    /** @return the special tokens an encoder's tokenizer adds to a sequence: [CLS] and [SEP], and a reranker's middle [SEP] */
    static int encoderSpecialTokens(JobSpec spec) {
        return spec.method().objective() == Objective.RERANKER ? 3 : 2;
    }

    /** @return what finished jobs are matched on: the method and the runner, for example {@code sft+lora with trl} */
    public static String kind(String methodLabel, String runner) {
        return methodLabel + " with " + runner;
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


}
