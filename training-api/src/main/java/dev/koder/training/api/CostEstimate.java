package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Objects;

/**
 * What a job will cost before it runs: tokens, compute, time, GPU-hours, money and peak GPU memory, with a
 * line of explanation for every term. Figures are estimates; {@link #basis()} says where the throughput came
 * from.
 *
 * <p>Built with {@link #builder()}; {@link #toBuilder()} copies one to change some of its fields. New fields
 * may be added in later versions without breaking callers.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public final class CostEstimate {
    private final long examples;
    private final long tokens;
    private final boolean tokensExact;
    private final long parameters;
    private final long trainableParameters;
    private final double flops;
    private final String device;
    private final int gpus;
    private final double tokensPerSecond;
    private final String basis;
    private final double wallSeconds;
    private final double gpuHours;
    private final Double price;
    private final String currency;
    private final MemoryEstimate memory;
    private final Double memoryLimitGib;
    private final boolean fits;
    private final List<String> breakdown;
    private final Batching batching;

    private CostEstimate(Builder b) {
        examples = b.examples;
        tokens = b.tokens;
        tokensExact = b.tokensExact;
        parameters = b.parameters;
        trainableParameters = b.trainableParameters;
        flops = b.flops;
        device = b.device;
        gpus = b.gpus;
        tokensPerSecond = b.tokensPerSecond;
        basis = b.basis;
        wallSeconds = b.wallSeconds;
        gpuHours = b.gpuHours;
        price = b.price;
        currency = b.currency;
        memory = b.memory;
        memoryLimitGib = b.memoryLimitGib;
        fits = b.fits;
        breakdown = b.breakdown == null ? List.of() : List.copyOf(b.breakdown);
        batching = b.batching;
    }

    /** @return a builder with every field unset */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder holding this one's fields */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.examples = examples;
        b.tokens = tokens;
        b.tokensExact = tokensExact;
        b.parameters = parameters;
        b.trainableParameters = trainableParameters;
        b.flops = flops;
        b.device = device;
        b.gpus = gpus;
        b.tokensPerSecond = tokensPerSecond;
        b.basis = basis;
        b.wallSeconds = wallSeconds;
        b.gpuHours = gpuHours;
        b.price = price;
        b.currency = currency;
        b.memory = memory;
        b.memoryLimitGib = memoryLimitGib;
        b.fits = fits;
        b.breakdown = breakdown;
        b.batching = batching;
        return b;
    }

    /** How Jackson reads one; code builds them with {@link #builder()}. */
    @JsonCreator
    private static CostEstimate fromJson(
            @JsonProperty("examples") long examples,
            @JsonProperty("tokens") long tokens,
            @JsonProperty("tokens_exact") boolean tokensExact,
            @JsonProperty("parameters") long parameters,
            @JsonProperty("trainable_parameters") long trainableParameters,
            @JsonProperty("flops") double flops,
            @JsonProperty("device") String device,
            @JsonProperty("gpus") int gpus,
            @JsonProperty("tokens_per_second") double tokensPerSecond,
            @JsonProperty("basis") String basis,
            @JsonProperty("wall_seconds") double wallSeconds,
            @JsonProperty("gpu_hours") double gpuHours,
            @JsonProperty("price") Double price,
            @JsonProperty("currency") String currency,
            @JsonProperty("memory") MemoryEstimate memory,
            @JsonProperty("memory_limit_gib") Double memoryLimitGib,
            @JsonProperty("fits") boolean fits,
            @JsonProperty("breakdown") List<String> breakdown,
            @JsonProperty("batching") Batching batching) {
        return builder()
                .examples(examples)
                .tokens(tokens)
                .tokensExact(tokensExact)
                .parameters(parameters)
                .trainableParameters(trainableParameters)
                .flops(flops)
                .device(device)
                .gpus(gpus)
                .tokensPerSecond(tokensPerSecond)
                .basis(basis)
                .wallSeconds(wallSeconds)
                .gpuHours(gpuHours)
                .price(price)
                .currency(currency)
                .memory(memory)
                .memoryLimitGib(memoryLimitGib)
                .fits(fits)
                .breakdown(breakdown)
                .batching(batching)
                .build();
    }

    /** @return training examples */
    @JsonProperty("examples")
    public long examples() {
        return examples;
    }

    /** @return tokens the trainer processes over the whole run (epochs included; for DPO both answers) */
    @JsonProperty("tokens")
    public long tokens() {
        return tokens;
    }

    /** @return whether the dataset's tokens were counted with the model's tokenizer */
    @JsonProperty("tokens_exact")
    public boolean tokensExact() {
        return tokensExact;
    }

    /** @return parameters of the base model */
    @JsonProperty("parameters")
    public long parameters() {
        return parameters;
    }

    /** @return parameters that get gradients (all for full training, the adapter's for LoRA) */
    @JsonProperty("trainable_parameters")
    public long trainableParameters() {
        return trainableParameters;
    }

    /** @return floating-point operations of the run (forward, backward, recomputation, DPO's reference) */
    @JsonProperty("flops")
    public double flops() {
        return flops;
    }

    /** @return the device the figures are for, for example {@code H100} or {@code cpu} */
    @JsonProperty("device")
    public String device() {
        return device;
    }

    /** @return GPUs the job uses (0 on CPU) */
    @JsonProperty("gpus")
    public int gpus() {
        return gpus;
    }

    /** @return throughput assumed, over all GPUs */
    @JsonProperty("tokens_per_second")
    public double tokensPerSecond() {
        return tokensPerSecond;
    }

    /** @return where the throughput comes from (calibration table, measured jobs, scaled, or assumed) */
    @JsonProperty("basis")
    public String basis() {
        return basis;
    }

    /** @return estimated wall time, model loading included */
    @JsonProperty("wall_seconds")
    public double wallSeconds() {
        return wallSeconds;
    }

    /** @return GPUs x wall time, in hours (0 on CPU) */
    @JsonProperty("gpu_hours")
    public double gpuHours() {
        return gpuHours;
    }

    /** @return money for those GPU-hours at the configured price, or null when no price is configured */
    @JsonProperty("price")
    public Double price() {
        return price;
    }

    /** @return the price's currency, or null */
    @JsonProperty("currency")
    public String currency() {
        return currency;
    }

    /** @return peak memory per GPU (or host memory for CPU jobs), by term */
    @JsonProperty("memory")
    public MemoryEstimate memory() {
        return memory;
    }

    /** @return what one device of the requested kind holds, or null when unknown */
    @JsonProperty("memory_limit_gib")
    public Double memoryLimitGib() {
        return memoryLimitGib;
    }

    /** @return whether the peak fits that device (true when unknown) */
    @JsonProperty("fits")
    public boolean fits() {
        return fits;
    }

    /** @return one readable line per term */
    @JsonProperty("breakdown")
    public List<String> breakdown() {
        return breakdown;
    }

    /** @return what a language model's micro-steps hold on one GPU, or null (an encoder's job, an older estimate) */
    @JsonProperty("batching")
    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
    public Batching batching() {
        return batching;
    }

    /**
     * What a job's micro-steps hold on one GPU, from its data's length histogram (or, without one, every sequence at
     * the mean length): the trainer of a job by tokens reports the same figures when it ends.
     *
     * @param microBatchTokens the token budget of a micro-step, or null for micro-steps of examples
     * @param tokensPerMicroStep tokens of examples a micro-step holds, on average
     * @param paddingFraction the share of a micro-step's padded size (rows x its longest) that is padding
     * @param microStepsPerStep micro-steps an optimiser step takes on one GPU, on average
     * @param fromHistogram whether the figures come from the data's length histogram
     */
    public record Batching(
            @JsonProperty("micro_batch_tokens") Integer microBatchTokens,
            @JsonProperty("tokens_per_micro_step") double tokensPerMicroStep,
            @JsonProperty("padding_fraction") double paddingFraction,
            @JsonProperty("micro_steps_per_step") double microStepsPerStep,
            @JsonProperty("from_histogram") boolean fromHistogram) {
    }

    /**
     * Peak memory of one device, term by term, in GiB.
     *
     * @param weights the model's weights in their training dtype (4-bit for QLoRA)
     * @param gradients gradients of the trainable parameters
     * @param optimizer AdamW's two moments of the trainable parameters
     * @param activations activations kept for the backward pass (less with gradient checkpointing)
     * @param logits logits and their gradient for one micro-batch (float32)
     * @param reference a frozen reference copy (full DPO), else 0
     * @param overhead runtime, allocator and workspace
     * @param total the sum
     */
    public record MemoryEstimate(
            @JsonProperty("weights_gib") double weights,
            @JsonProperty("gradients_gib") double gradients,
            @JsonProperty("optimizer_gib") double optimizer,
            @JsonProperty("activations_gib") double activations,
            @JsonProperty("logits_gib") double logits,
            @JsonProperty("reference_gib") double reference,
            @JsonProperty("overhead_gib") double overhead,
            @JsonProperty("total_gib") double total) {
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof CostEstimate)) {
            return false;
        }
        CostEstimate other = (CostEstimate) o;
        return examples == other.examples && tokens == other.tokens && tokensExact == other.tokensExact
                && parameters == other.parameters && trainableParameters == other.trainableParameters
                && Double.compare(flops, other.flops) == 0 && Objects.equals(device, other.device)
                && gpus == other.gpus && Double.compare(tokensPerSecond, other.tokensPerSecond) == 0
                && Objects.equals(basis, other.basis) && Double.compare(wallSeconds, other.wallSeconds) == 0
                && Double.compare(gpuHours, other.gpuHours) == 0 && Objects.equals(price, other.price)
                && Objects.equals(currency, other.currency) && Objects.equals(memory, other.memory)
                && Objects.equals(memoryLimitGib, other.memoryLimitGib) && fits == other.fits
                && Objects.equals(breakdown, other.breakdown);
    }

    @Override
    public int hashCode() {
        return Objects.hash(examples, tokens, tokensExact, parameters, trainableParameters, flops, device, gpus,
                tokensPerSecond, basis, wallSeconds, gpuHours, price, currency, memory, memoryLimitGib,
                fits, breakdown);
    }

    @Override
    public String toString() {
        return "CostEstimate[id=" + examples + ", ...]";
    }

    /** Builds a {@link CostEstimate}; every field starts unset (null, 0 or false). */
    public static final class Builder {
        private long examples;
        private long tokens;
        private boolean tokensExact;
        private long parameters;
        private long trainableParameters;
        private double flops;
        private String device;
        private int gpus;
        private double tokensPerSecond;
        private String basis;
        private double wallSeconds;
        private double gpuHours;
        private Double price;
        private String currency;
        private MemoryEstimate memory;
        private Double memoryLimitGib;
        private boolean fits;
        private List<String> breakdown;
        private Batching batching;

        private Builder() {
        }

        /** @param examples training examples @return this builder */
        public Builder examples(long examples) {
            this.examples = examples;
            return this;
        }

        /**
         * @param tokens tokens the trainer processes over the whole run (epochs included; for DPO both answers)
         *     @return this builder
         */
        public Builder tokens(long tokens) {
            this.tokens = tokens;
            return this;
        }

        /**
         * @param tokensExact whether the dataset's tokens were counted with the model's tokenizer @return this
         *     builder
         */
        public Builder tokensExact(boolean tokensExact) {
            this.tokensExact = tokensExact;
            return this;
        }

        /** @param parameters parameters of the base model @return this builder */
        public Builder parameters(long parameters) {
            this.parameters = parameters;
            return this;
        }

        /**
         * @param trainableParameters parameters that get gradients (all for full training, the adapter's for LoRA)
         *     @return this builder
         */
        public Builder trainableParameters(long trainableParameters) {
            this.trainableParameters = trainableParameters;
            return this;
        }

        /**
         * @param flops floating-point operations of the run (forward, backward, recomputation, DPO's reference)
         *     @return this builder
         */
        public Builder flops(double flops) {
            this.flops = flops;
            return this;
        }

        /**
         * @param device the device the figures are for, for example {@code H100} or {@code cpu} @return this
         *     builder
         */
        public Builder device(String device) {
            this.device = device;
            return this;
        }

        /** @param gpus GPUs the job uses (0 on CPU) @return this builder */
        public Builder gpus(int gpus) {
            this.gpus = gpus;
            return this;
        }

        /** @param tokensPerSecond throughput assumed, over all GPUs @return this builder */
        public Builder tokensPerSecond(double tokensPerSecond) {
            this.tokensPerSecond = tokensPerSecond;
            return this;
        }

        /**
         * @param basis where the throughput comes from (calibration table, measured jobs, scaled, or assumed)
         *     @return this builder
         */
        public Builder basis(String basis) {
            this.basis = basis;
            return this;
        }

        /** @param wallSeconds estimated wall time, model loading included @return this builder */
        public Builder wallSeconds(double wallSeconds) {
            this.wallSeconds = wallSeconds;
            return this;
        }

        /** @param gpuHours GPUs x wall time, in hours (0 on CPU) @return this builder */
        public Builder gpuHours(double gpuHours) {
            this.gpuHours = gpuHours;
            return this;
        }

        /**
         * @param price money for those GPU-hours at the configured price, or null when no price is configured
         *     @return this builder
         */
        public Builder price(Double price) {
            this.price = price;
            return this;
        }

        /** @param currency the price's currency, or null @return this builder */
        public Builder currency(String currency) {
            this.currency = currency;
            return this;
        }

        /** @param memory peak memory per GPU (or host memory for CPU jobs), by term @return this builder */
        public Builder memory(MemoryEstimate memory) {
            this.memory = memory;
            return this;
        }

        /**
         * @param memoryLimitGib what one device of the requested kind holds, or null when unknown @return this
         *     builder
         */
        public Builder memoryLimitGib(Double memoryLimitGib) {
            this.memoryLimitGib = memoryLimitGib;
            return this;
        }

        /** @param fits whether the peak fits that device (true when unknown) @return this builder */
        public Builder fits(boolean fits) {
            this.fits = fits;
            return this;
        }

        /** @param breakdown one readable line per term @return this builder */
        public Builder breakdown(List<String> breakdown) {
            this.breakdown = breakdown;
            return this;
        }

        /** @param batching what the micro-steps hold, or null @return this builder */
        public Builder batching(Batching batching) {
            this.batching = batching;
            return this;
        }

        /** @return the costEstimate */
        public CostEstimate build() {
            return new CostEstimate(this);
        }
    }
}
