package dev.koder.training.core.estimate;

import dev.koder.training.api.AdapterType;
import dev.koder.training.api.CostEstimate;
import dev.koder.training.api.DatasetStats;
import dev.koder.training.api.Hyperparameters;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.Objective;
import dev.koder.training.api.Precision;
import dev.koder.training.core.internal.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Locale;
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
        List<String> lines = new ArrayList<>();
        if (runnerReason != null) {
            lines.add("runner: " + runner + " (" + runnerReason + ")");
        }
        Hyperparameters h = spec.hyperparameters();
        boolean dpo = spec.method().objective() == Objective.DPO;
        AdapterType adapter = spec.method().adapter();
        int gpus = spec.resources().gpus();
        boolean cpu = gpus == 0;

        // Tokens.
        long sequences = Math.max(1, training.sequences());
        // Chat templates add role headers and end markers the content count does not see; DPO formats the prompt
        // into both of its sequences.
        long template = TEMPLATE_TOKENS_PER_MESSAGE * (training.messages() + (dpo ? training.examples() : 0));
        long perEpoch = Math.min(training.tokensWithinMaxLength() + template, sequences * (long) h.maxSeqLength());
        double perSequence = (double) perEpoch / sequences;
        long tokens;
        String count = training.tokensExact() ? "exact, model tokenizer" : "approximate, ~4 characters a token";
        if (h.maxSteps() != null) {
            long seqPerStep = (long) h.batchSize() * (dpo ? 2 : 1);
            tokens = Math.round(h.maxSteps() * seqPerStep * perSequence);
            lines.add(String.format(Locale.ROOT, "tokens: %,d steps x %d sequences x %,.0f tokens on average (%s) = "
                    + "%,d", h.maxSteps(), seqPerStep, perSequence, count, tokens));
        } else {
            tokens = perEpoch * h.epochs();
            lines.add(String.format(Locale.ROOT, "tokens: %,d %s, %,d tokens within max_seq_length %d (%s, with ~%d "
                    + "chat-template tokens a message); x %d epochs = %,d", training.examples(),
                    dpo ? "pairs (chosen and rejected each a sequence)" : "examples", perEpoch, h.maxSeqLength(), count,
                    TEMPLATE_TOKENS_PER_MESSAGE, h.epochs(), tokens));
        }

        // Parameters.
        long n = model.parameters();
        long trainable;
        if (adapter == AdapterType.FULL) {
            trainable = n;
            lines.add("parameters: " + model.describe() + "; all trainable");
        } else {
            trainable = model.loraParameters(spec.method().lora().rank(), spec.method().lora().targetModules());
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
        Throughput t = throughput(spec, model, cpu, deviceName, measured, kind, runner);
        double perSecond = t.tokensPerSecond * Math.max(1, gpus) * scaling(gpus);
        String device = cpu ? "cpu" : t.device;
        lines.add(String.format(Locale.ROOT, "throughput: %,.0f tokens/s %s (%s)", perSecond,
                cpu ? "on the CPU" : "on " + gpus + " x " + device + (gpus > 1 ? ", 90% scaling per doubling" : ""),
                t.basis));

        // Time.
        double load = 20 + LOAD_SECONDS_PER_BILLION * n / 1e9;
        double trainSeconds = tokens / perSecond;
        double wall = trainSeconds + load;
        double gpuHours = cpu ? 0 : gpus * wall / 3600;
        lines.add(String.format(Locale.ROOT, "time: %,d / %,.0f = %s training + %s starting and loading = %s", tokens,
                perSecond, seconds(trainSeconds), seconds(load), seconds(wall)));
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
        CostEstimate.MemoryEstimate memory = memory(spec, model, trainable, cpu);
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
        Double limit = deviceMemoryGib;
        if (limit == null && spec.resources().minGpuMemoryGib() != null) {
            limit = spec.resources().minGpuMemoryGib().doubleValue();
        }
        boolean fits = limit == null || memory.total() <= limit;
        lines.add(String.format(Locale.ROOT, "memory per %s: weights %.2f GiB (%s) + optimizer %.2f%s + the larger of "
                + "activations %.2f (%s) + logits %.2f (the loss's fp32 log-probabilities and gradient, vocabulary %,d) "
                + "and gradients %.2f, + overhead %.2f = %.2f GiB%s", cpu ? "host" : "GPU",
                memory.weights(), weightLabel(spec, cpu), memory.optimizer(),
                memory.reference() > 0 ? String.format(Locale.ROOT, " + frozen reference %.2f", memory.reference()) : "",
                memory.activations(), ActivationMemory.Family.of(model.family()).name().toLowerCase(Locale.ROOT)
                        + "-family layers, " + (checkpointing ? "gradient checkpointing: every layer's input and one "
                        + "layer recomputed" : "no gradient checkpointing"), memory.logits(), model.vocab(),
                memory.gradients(), memory.overhead(), memory.total(), limit == null ? "" : String.format(Locale.ROOT,
                        " of %.0f GiB%s: %s", limit, deviceName == null ? "" : " (" + device + ")",
                        fits ? "fits" : "DOES NOT FIT"))
                + memoryBasis);
        return new CostEstimate(training.examples(), tokens, training.tokensExact(), n, trainable, flops, device, gpus,
                perSecond, t.basis, wall, gpuHours, price, price == null ? null : pricing.currency(), memory, limit,
                fits, lines);
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

    CostEstimate.MemoryEstimate memory(JobSpec spec, ModelShape m, long trainable, boolean cpu) {
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
        long tokens = (long) h.microBatchSize() * (dpo ? 2 : 1) * h.maxSeqLength();
        double saved = per.bytes(tokens, m.layers(), h.gradientCheckpointing());
        double activations = (saved - tokens * per.restBytesPerToken()) / GIB;
        // The loss keeps fp32 log-probabilities of the whole vocabulary (in restBytesPerToken); its backward then
        // makes their gradient in fp32 and casts it to the logits' dtype while they are still held.
        double logits = tokens * (per.restBytesPerToken() + (4.0 + bytes) * m.vocab()) / GIB;
        double reference = dpo && spec.method().adapter() == AdapterType.FULL ? weights : 0;
        // Allocator reserve and kernel workspaces (the CUDA context is outside PyTorch's own peak).
        double overhead = cpu ? 0.5 : 0.75;
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
            List<Measured> measured, String kind, String runner) {
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
            return new Throughput(perSecond, "cpu", "assumed: 25 GFLOP/s per CPU core x " + cores
                    + " cores; run a job to calibrate");
        }
        String method = spec.method().objective() == Objective.DPO ? "dpo"
                : spec.method().adapter() == AdapterType.FULL ? "full" : "lora";
        double h100 = table.interpolate(method, model.parameters() / 1e9);
        List<String> notes = new ArrayList<>();
        notes.add("calibration: " + table.reference + " " + method + " at " + String.format(Locale.ROOT, "%.2fB",
                model.parameters() / 1e9) + " parameters, " + table.bracket(method, model.parameters() / 1e9)
                + String.format(Locale.ROOT, ", at %,.0f tokens a micro-step", table.referenceTokens));
        // DPO's micro-step runs chosen and rejected: twice the sequences, in the calibration too.
        int sequences = spec.method().objective() == Objective.DPO ? 2 : 1;
        double microTokens = (double) sequences * spec.hyperparameters().microBatchSize()
                * spec.hyperparameters().maxSeqLength();
        double shape = table.shape(microTokens, sequences * table.referenceTokens);
        if (Math.abs(shape - 1) > 0.005) {
            notes.add(String.format(Locale.ROOT, "x %.2f for %,.0f tokens a micro-step on each GPU (a GPU runs at "
                    + "t / (t + %,.0f) of its speed; %s)", shape, microTokens, table.saturationTokens,
                    table.saturationSource));
        }
        double factor = spec.method().objective() == Objective.DPO ? table.trlDpo : table.trlSft;
        notes.add(String.format(Locale.ROOT, "x %.2f for TRL", factor));
        switch (runner) {
            case "trl" -> {
            }
            case "unsloth" -> {
                factor *= UNSLOTH_FACTOR;
                notes.add(String.format(Locale.ROOT, "x %.2f for unsloth (assumed: its published speed-up of LoRA "
                        + "over plain Hugging Face training, not measured here)", UNSLOTH_FACTOR));
            }
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
            factor *= table.noCheckpointing;
            notes.add(String.format(Locale.ROOT, "x %.2f without gradient checkpointing", table.noCheckpointing));
        }
        Optional<GpuModels.GpuModel> gpu = GpuModels.find(device);
        double scale = gpu.map(g -> g.bf16Tflops() / GpuModels.reference().bf16Tflops()).orElse(1.0);
        if (gpu.isEmpty()) {
            notes.add("unknown GPU " + device + ": assumed as fast as an H100");
        } else if (scale != 1.0) {
            notes.add(String.format(Locale.ROOT, "x %.2f for %s's bf16 throughput", scale, gpu.get().type()));
        }
        return new Throughput(h100 * factor * scale * shape, device, String.join(", ", notes));
    }

    /** unsloth's speed relative to TRL, assumed until measured: its published figure for LoRA on one GPU. */
    static final double UNSLOTH_FACTOR = 1.6;

    /** Data-parallel efficiency: 90% per doubling of GPUs. */
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

    /** The calibration table. */
    static final class Table {
        final String reference;
        final TreeMap<Double, Double> lora = new TreeMap<>();
        final TreeMap<Double, Double> full = new TreeMap<>();
        final TreeMap<Double, Double> dpo = new TreeMap<>();
        double trlSft;
        double trlDpo;
        double packing;
        double qlora;
        double noCheckpointing;
        double referenceTokens;
        double saturationTokens;
        String saturationSource;

        private Table(String reference) {
            this.reference = reference;
        }

        static Table load() {
            try (InputStream in = Estimator.class.getResourceAsStream("throughput.json")) {
                JsonNode root = Json.MAPPER.readTree(in);
                Table t = new Table(root.get("reference_gpu").asString());
                for (JsonNode row : root.get("rows")) {
                    TreeMap<Double, Double> series = switch (row.get("method").asString()) {
                        case "lora" -> t.lora;
                        case "full" -> t.full;
                        default -> t.dpo;
                    };
                    series.put(row.get("params_b").asDouble(), row.get("tokens_per_s").asDouble());
                }
                t.trlSft = root.at("/trl_factor/sft").asDouble();
                t.trlDpo = root.at("/trl_factor/dpo").asDouble();
                t.packing = root.get("packing_without_flash_attention").asDouble();
                t.qlora = root.get("qlora_factor").asDouble();
                t.noCheckpointing = root.get("no_gradient_checkpointing_factor").asDouble();
                t.referenceTokens = root.get("micro_step_tokens").asDouble();
                t.saturationTokens = root.at("/saturation/half_speed_tokens").asDouble();
                t.saturationSource = root.at("/saturation/source").asString();
                return t;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** The two measured points around a size (both the same one on a measured size; the nearest two beyond). */
        private record Neighbours(Map.Entry<Double, Double> lo, Map.Entry<Double, Double> hi, boolean inside) {
        }

        private Neighbours neighbours(String method, double paramsB) {
            TreeMap<Double, Double> s = switch (method) {
                case "lora" -> lora;
                case "full" -> full;
                default -> dpo;
            };
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
                return n.lo().getValue();
            }
            double x0 = Math.log(n.lo().getKey());
            double x1 = Math.log(n.hi().getKey());
            double y0 = Math.log(n.lo().getValue());
            double y1 = Math.log(n.hi().getValue());
            double y = y0 + (y1 - y0) * (Math.log(paramsB) - x0) / (x1 - x0);
            return Math.exp(y);
        }

        /** @return which measured points {@link #interpolate} used, in words */
        String bracket(String method, double paramsB) {
            Neighbours n = neighbours(method, paramsB);
            if (n.lo().getKey().equals(n.hi().getKey())) {
                return String.format(Locale.ROOT, "the measured point at %.2fB (%,.0f tokens/s)", n.lo().getKey(),
                        n.lo().getValue());
            }
            return String.format(Locale.ROOT, "%s the measured points at %.2fB (%,.0f tokens/s) and %.2fB (%,.0f)",
                    n.inside() ? "between" : "extrapolated from", n.lo().getKey(), n.lo().getValue(),
                    n.hi().getKey(), n.hi().getValue());
        }

        /**
         * How busy a GPU is with this many tokens in a micro-step, relative to the calibration's: a GPU saturates
         * as tokens grow, t / (t + t_half), so few tokens a micro-step run at a fraction of the measured speed.
         */
        double shape(double tokensPerMicroStep, double referenceTokens) {
            double e = tokensPerMicroStep / (tokensPerMicroStep + saturationTokens);
            double ref = referenceTokens / (referenceTokens + saturationTokens);
            return e / ref;
        }
    }
}
