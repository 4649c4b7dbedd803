package dev.koder.training.core.estimate;

import dev.koder.training.api.AdapterType;
import dev.koder.training.api.CostEstimate;
import dev.koder.training.api.DatasetStats;
import dev.koder.training.api.Hyperparameters;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.Objective;
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
 * {@link Batching} (what micro-steps hold), {@link RecipeSearch} (the strategy and the auto values, as {@link Choice}s)
 * and {@link Breakdown} (the words); this class does the arithmetic of one estimate ({@link Figures}).
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
    private final int cpuCores;

    /**
     * An estimator for a host whose CPU jobs may use all its cores.
     *
     * @param pricing price per GPU-hour, if configured
     */
    public Estimator(Pricing pricing) {
        this(pricing, Runtime.getRuntime().availableProcessors());
    }

    /**
     * @param pricing price per GPU-hour, if configured
     * @param cpuCores the cores a CPU job may use (the service shares its host's among the jobs it runs at once)
     */
    public Estimator(Pricing pricing, int cpuCores) {
        if (cpuCores < 1) {
            throw new IllegalArgumentException("cpuCores must be at least 1, got " + cpuCores);
        }
        this.pricing = pricing;
        this.cpuCores = cpuCores;
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

        /** @return whether it was a job of that kind on that device with a model within 2x of that one's size */
        boolean similar(String onDevice, String kind, ModelShape model) {
            double ratio = (double) parameters / model.parameters();
            return device.equalsIgnoreCase(onDevice) && method.equals(kind) && ratio > 0.5 && ratio < 2;
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
     * Chooses the spec's auto values with the estimate ({@link RecipeSearch}), then estimates the result. Explicit
     * values are kept.
     *
     * @return the chosen spec, the reasons, and its estimate
     */
    public Recipe recipe(JobSpec spec, DatasetStats training, ModelShape model, String deviceName,
            Double deviceMemoryGib, List<Measured> measured, String runner, String runnerReason) {
        return recipe(spec, training, model, deviceName, deviceMemoryGib, measured, runner, runnerReason, List.of());
    }

    /**
     * As {@link #recipe(JobSpec, DatasetStats, ModelShape, String, Double, List, String, String)}, with choices made
     * before the search (for example micro-steps of examples for a runner that cannot cut them by tokens).
     *
     * @param earlier their lines, first of the recipe's and of the breakdown's recipe lines
     */
    public Recipe recipe(JobSpec spec, DatasetStats training, ModelShape model, String deviceName,
            Double deviceMemoryGib, List<Measured> measured, String runner, String runnerReason, List<String> earlier) {
        RecipeSearch.Result r = new RecipeSearch(this, training, model, deviceName, deviceMemoryGib, measured, runner)
                .search(spec);
        List<String> lines = new ArrayList<>(earlier);
        lines.addAll(r.lines());
        return new Recipe(r.spec(), lines, estimate(r.spec(), training, model, deviceName, deviceMemoryGib,
                measured, runner, runnerReason, lines));
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
        // a DPO example is a pair: two rows, each as wide as the longer
        int rowsPerExample = Recipe.rowsPerExample(spec);
        int budget = tokens ? Math.max(rowsPerExample * h.maxSeqLength(), h.microBatchTokens()) : 0;
        int perGpu = Recipe.perGpuBatch(spec);
        if (!hasHistogram(training)) {
            double length = Math.min(h.maxSeqLength(), Math.max(1, perSequence));
            if (tokens) {
                double fit = Math.max(1, Math.min(perGpu, Math.floor(budget / (rowsPerExample * length))));
                double steps = Math.ceil(perGpu / fit);
                double held = perGpu * rowsPerExample * length / steps;
                return new Batching.MicroSteps(held, held, steps);
            }
            return new Batching.MicroSteps(rows * length, rows * length, accumulation);
        }
        int[] lengths = Batching.lengths(training.lengthHistogram(), training.sequences(),
                (int) Math.round(templatePerSequence), h.maxSeqLength());
        if (tokens) {
            return rowsPerExample == 2 ? Batching.ofTokenPairs(lengths, perGpu, budget, h.seed())
                    : Batching.ofTokens(lengths, perGpu, budget, h.seed());
        }
        return groupedPairs ? Batching.ofGroupedPairs(lengths, h.microBatchSize(), accumulation, h.seed())
                : Batching.ofExamples(lengths, rows, accumulation);
    }

    static Double memoryLimit(JobSpec spec, Double deviceMemoryGib) {
        if (deviceMemoryGib == null && spec.resources().minGpuMemoryGib() != null) {
            return spec.resources().minGpuMemoryGib().doubleValue();
        }
        return deviceMemoryGib;
    }

    static String method(JobSpec spec) {
        return spec.method().objective() == Objective.DPO ? "dpo"
                : spec.method().adapter() == AdapterType.FULL ? "full" : "lora";
    }

    private CostEstimate estimate(JobSpec spec, DatasetStats training, ModelShape model, String deviceName,
            Double deviceMemoryGib, List<Measured> measured, String runner, String runnerReason, List<String> recipe) {
        Figures f = figures(spec, training, model, deviceName, deviceMemoryGib, measured, runner);
        CostEstimate.Batching batching = f.micro() == null ? null : new CostEstimate.Batching(
                spec.hyperparameters().tokenMicroSteps() ? spec.hyperparameters().microBatchTokens() : null,
                f.micro().tokens(), f.micro().paddingFraction(), f.micro().microStepsPerStep(), f.histogram());
        return CostEstimate.builder().examples(training.examples()).tokens(f.tokens())
                .tokensExact(training.tokensExact()).parameters(model.parameters()).trainableParameters(f.trainable())
                .flops(f.flops()).device(f.device()).gpus(spec.resources().gpus()).tokensPerSecond(f.tokensPerSecond())
                .basis(f.throughput().basis()).wallSeconds(f.wallSeconds()).gpuHours(f.gpuHours()).price(f.price())
                .currency(f.price() == null ? null : pricing.currency()).memory(f.memory()).memoryLimitGib(f.limitGib())
                .fits(f.fits()).breakdown(Breakdown.lines(spec, model, runner, runnerReason, recipe, f,
                        pricing.currency())).batching(batching).build();
    }

    /** @return the arithmetic of the job's estimate, before any of it is worded ({@link Breakdown}) */
    Figures figures(JobSpec spec, DatasetStats training, ModelShape model, String deviceName, Double deviceMemoryGib,
            List<Measured> measured, String runner) {
        Hyperparameters h = spec.hyperparameters();
        boolean dpo = spec.method().objective() == Objective.DPO;
        AdapterType adapter = spec.method().adapter();
        int gpus = spec.resources().gpus();
        boolean cpu = gpus == 0;

        // Tokens. Chat templates add role headers and end markers the content count does not see; DPO formats the
        // prompt into both of its sequences. An encoder's tokenizer adds [CLS] and [SEP] to each text, and a [SEP]
        // between a reranker's query and document.
        long sequences = Math.max(1, training.sequences());
        boolean encoder = !spec.method().objective().languageModel();
        long template = encoder ? encoderSpecialTokens(spec) * sequences
                : TEMPLATE_TOKENS_PER_MESSAGE * (training.messages() + (dpo ? training.examples() : 0));
        long perEpoch = Math.min(training.tokensWithinMaxLength() + template, sequences * (long) h.maxSeqLength());
        double perSequence = (double) perEpoch / sequences;
        // A pairs example is its anchor, positive and negatives, each embedded alone; a group is one sequence for
        // each of its documents.
        double sequencesPerExample = encoder ? (double) sequences / Math.max(1, training.examples()) : dpo ? 2 : 1;
        long seqPerStep = 0;
        long tokens;
        if (h.maxSteps() != null) {
            seqPerStep = Math.round(h.batchSize() * sequencesPerExample);
            tokens = Math.round(h.maxSteps() * seqPerStep * perSequence);
        } else {
            tokens = perEpoch * h.epochs();
        }

        // Micro-steps: what they hold, and their padding.
        boolean groupedPairs = groupedPairs(spec, runner);
        Batching.MicroSteps micro = encoder ? null : microSteps(spec, training, perSequence,
                (double) template / sequences, sequencesPerExample, groupedPairs);

        // Compute.
        long n = model.parameters();
        long trainable = PeakMemory.trainable(spec, model);
        double perToken = (adapter == AdapterType.FULL ? 6 : 4) + (h.gradientCheckpointing() ? 2 : 0) + (dpo ? 2 : 0);
        double flops = perToken * n * tokens;

        // Throughput and time.
        String kind = kind(spec.method().label(), runner);
        Throughput t = Throughput.of(table, spec, model, cpu ? cpuCores : 0, deviceName, measured, kind, runner,
                perSequence, sequencesPerExample, micro);
        double scaling = Throughput.scaling(gpus);
        double perSecond = t.tokensPerSecond() * Math.max(1, gpus) * scaling;
        String device = cpu ? "cpu" : t.device();
        double start = Throughput.startupSeconds(runner);
        double load = start + LOAD_SECONDS_PER_BILLION * n / 1e9;
        double trainSeconds = tokens / perSecond;
        double wall = trainSeconds + load;
        double gpuHours = cpu ? 0 : gpus * wall / 3600;
        Double rate = cpu ? null : pricing.price(t.device()).orElse(null);
        Double price = rate == null ? null : gpuHours * rate;

        // Memory, raised (never lowered) by what similar finished jobs peaked at against their estimates.
        boolean chunkedLoss = PeakMemory.chunkedLoss(spec, runner);
        CostEstimate.MemoryEstimate memory = PeakMemory.of(spec, model, trainable, cpu, chunkedLoss, sequencesPerExample);
        List<Double> memoryRatios = new ArrayList<>();
        for (Measured m : measured) {
            if (m.memoryRatio() != null && m.similar(device, kind, model)) {
                memoryRatios.add(m.memoryRatio());
            }
        }
        Double correction = null;
        if (!memoryRatios.isEmpty()) {
            memoryRatios.sort(Double::compare);
            double median = memoryRatios.get(memoryRatios.size() / 2);
            if (median > 1) {
                memory = PeakMemory.scaled(memory, median);
                correction = median;
            }
        }
        Double limit = memoryLimit(spec, deviceMemoryGib);
        boolean fits = limit == null || memory.total() <= limit;
        return new Figures(training.examples(), training.tokensExact(), sequences, sequencesPerExample, template,
                perEpoch, perSequence, seqPerStep, tokens, micro, hasHistogram(training), groupedPairs, trainable,
                perToken, flops, t, scaling, perSecond, device, deviceName != null, start, load, trainSeconds, wall,
                gpuHours, rate, price, chunkedLoss, memory, correction, correction == null ? 0 : memoryRatios.size(),
                limit, fits);
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
}
