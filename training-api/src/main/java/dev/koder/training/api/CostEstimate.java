package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * What a job will cost before it runs: tokens, compute, time, GPU-hours, money and peak GPU memory, with a
 * line of explanation for every term. Figures are estimates; {@link #basis()} says where the throughput came
 * from.
 *
 * @param examples training examples
 * @param tokens tokens the trainer processes over the whole run (epochs included; for DPO both answers)
 * @param tokensExact whether the dataset's tokens were counted with the model's tokenizer
 * @param parameters parameters of the base model
 * @param trainableParameters parameters that get gradients (all for full training, the adapter's for LoRA)
 * @param flops floating-point operations of the run (forward, backward, recomputation, DPO's reference)
 * @param device the device the figures are for, for example {@code H100} or {@code cpu}
 * @param gpus GPUs the job uses (0 on CPU)
 * @param tokensPerSecond throughput assumed, over all GPUs
 * @param basis where the throughput comes from (calibration table, measured jobs, scaled, or assumed)
 * @param wallSeconds estimated wall time, model loading included
 * @param gpuHours GPUs x wall time, in hours (0 on CPU)
 * @param price money for those GPU-hours at the configured price, or null when no price is configured
 * @param currency the price's currency, or null
 * @param memory peak memory per GPU (or host memory for CPU jobs), by term
 * @param memoryLimitGib what one device of the requested kind holds, or null when unknown
 * @param fits whether the peak fits that device (true when unknown)
 * @param breakdown one readable line per term
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CostEstimate(
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
        @JsonProperty("breakdown") List<String> breakdown) {

    /** Copies the breakdown so the record stays immutable. */
    public CostEstimate {
        breakdown = List.copyOf(breakdown);
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
}
