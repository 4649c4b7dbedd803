package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * How a model is trained: an objective (SFT or DPO) times an adapter (full, LoRA or QLoRA), with the
 * settings of the parts in use. The factories cover the four pipelines in one line each:
 *
 * <pre>{@code
 * TrainingMethod.sftLora();                 // SFT with LoRA r=16 on all linear layers
 * TrainingMethod.qlora();                   // SFT with LoRA on a 4-bit NF4 base
 * TrainingMethod.sftFull();                 // SFT of every weight
 * TrainingMethod.dpo(0.1, DpoLoss.SIGMOID); // DPO with a LoRA adapter
 * TrainingMethod.sftLora(LoraConfig.builder().rank(64).build());
 * }</pre>
 *
 * @param objective what is optimised; required
 * @param adapter which weights are trained; required
 * @param lora adapter settings, only with LoRA or QLoRA (defaults apply when null)
 * @param quantization base quantisation, only with QLoRA (defaults apply when null)
 * @param dpo DPO settings, only with the DPO objective (defaults apply when null)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TrainingMethod(
        @JsonProperty("objective") Objective objective,
        @JsonProperty("adapter") AdapterType adapter,
        @JsonProperty("lora") LoraConfig lora,
        @JsonProperty("quantization") QuantizationConfig quantization,
        @JsonProperty("dpo") DpoConfig dpo) {

    /** @return SFT with a LoRA adapter with default settings */
    public static TrainingMethod sftLora() {
        return sftLora(LoraConfig.builder().build());
    }

    /** @param lora adapter settings @return SFT with a LoRA adapter */
    public static TrainingMethod sftLora(LoraConfig lora) {
        return new TrainingMethod(Objective.SFT, AdapterType.LORA, lora, null, null);
    }

    /** @return SFT with LoRA on a 4-bit NF4 base, double quantisation, bf16 compute */
    public static TrainingMethod qlora() {
        return qlora(LoraConfig.builder().build(), new QuantizationConfig(null, null, null));
    }

    /**
     * @param lora adapter settings
     * @param quantization base quantisation settings
     * @return SFT with QLoRA
     */
    public static TrainingMethod qlora(LoraConfig lora, QuantizationConfig quantization) {
        return new TrainingMethod(Objective.SFT, AdapterType.QLORA, lora, quantization, null);
    }

    /** @return SFT of every weight */
    public static TrainingMethod sftFull() {
        return sft(AdapterType.FULL);
    }

    /** @param adapter full, lora or qlora (adapter settings take their defaults) @return SFT */
    public static TrainingMethod sft(AdapterType adapter) {
        return new TrainingMethod(Objective.SFT, adapter, null, null, null);
    }

    /** @return DPO with a LoRA adapter, beta 0.1, sigmoid loss */
    public static TrainingMethod dpoLora() {
        return dpo(AdapterType.LORA, new DpoConfig(null, null));
    }

    /**
     * @param beta KL penalty strength, greater than 0 and at most 10
     * @param lossType the preference loss
     * @return DPO with a LoRA adapter
     */
    public static TrainingMethod dpo(double beta, DpoLoss lossType) {
        return dpo(AdapterType.LORA, DpoConfig.of(beta, lossType));
    }

    /**
     * @param adapter full (the reference is a frozen copy) or lora/qlora (the reference is the base with the
     *     adapter disabled)
     * @param dpo DPO settings
     * @return DPO
     */
    public static TrainingMethod dpo(AdapterType adapter, DpoConfig dpo) {
        return new TrainingMethod(Objective.DPO, adapter, null, null, dpo);
    }

    /** @param lora adapter settings @return a copy with these settings */
    public TrainingMethod withLora(LoraConfig lora) {
        return new TrainingMethod(objective, adapter, lora, quantization, dpo);
    }

    /** @param quantization base quantisation @return a copy with these settings */
    public TrainingMethod withQuantization(QuantizationConfig quantization) {
        return new TrainingMethod(objective, adapter, lora, quantization, dpo);
    }

    /** @param dpo DPO settings @return a copy with these settings */
    public TrainingMethod withDpo(DpoConfig dpo) {
        return new TrainingMethod(objective, adapter, lora, quantization, dpo);
    }

    TrainingMethod resolved() {
        if (objective == null || adapter == null) {
            return this;
        }
        LoraConfig l = adapter.usesLora() ? (lora == null ? LoraConfig.defaults() : lora.resolved()) : lora;
        QuantizationConfig q = adapter == AdapterType.QLORA
                ? (quantization == null ? QuantizationConfig.defaults() : quantization.resolved())
                : quantization;
        DpoConfig d = objective == Objective.DPO ? (dpo == null ? DpoConfig.defaults() : dpo.resolved()) : dpo;
        return new TrainingMethod(objective, adapter, l, q, d);
    }

    void check(Checks c, String at) {
        c.required(Checks.at(at, "objective"), objective);
        c.required(Checks.at(at, "adapter"), adapter);
        if (lora != null) {
            if (adapter != null && !adapter.usesLora()) {
                c.add(Checks.at(at, "lora"), "only applies to adapter lora or qlora, got " + adapter.wireName());
            }
            lora.check(c, Checks.at(at, "lora"));
        }
        if (quantization != null) {
            if (adapter != null && adapter != AdapterType.QLORA) {
                c.add(Checks.at(at, "quantization"), "only applies to adapter qlora, got " + adapter.wireName());
            }
            quantization.check(c, Checks.at(at, "quantization"));
        }
        if (dpo != null) {
            if (objective != null && objective != Objective.DPO) {
                c.add(Checks.at(at, "dpo"), "only applies to objective dpo, got " + objective.wireName());
            }
            dpo.check(c, Checks.at(at, "dpo"));
        }
    }

    /** @return for example {@code sft+lora} */
    public String label() {
        return (objective == null ? "?" : objective.wireName()) + "+" + (adapter == null ? "?" : adapter.wireName());
    }
}
