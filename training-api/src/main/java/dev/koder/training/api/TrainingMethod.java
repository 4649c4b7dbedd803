package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * How a model is trained: an objective (SFT, DPO, embedding or reranker) times an adapter (full, LoRA or QLoRA),
 * with the settings of the parts in use. The factories cover the pipelines in one line each:
 *
 * <pre>{@code
 * TrainingMethod.sftLora();                 // SFT with LoRA r=16 on all linear layers
 * TrainingMethod.qlora();                   // SFT with LoRA on a 4-bit NF4 base
 * TrainingMethod.sftFull();                 // SFT of every weight
 * TrainingMethod.dpo(0.1, DpoLoss.SIGMOID); // DPO with a LoRA adapter
 * TrainingMethod.sftLora(LoraConfig.builder().rank(64).build());
 * TrainingMethod.embeddingLora();            // a bi-encoder, in-batch negatives, LoRA r=16
 * TrainingMethod.reranker(AdapterType.FULL); // a cross-encoder, every weight
 * }</pre>
 *
 * @param objective what is optimised; required
 * @param adapter which weights are trained; required
 * @param lora adapter settings, only with LoRA or QLoRA (defaults apply when null)
 * @param quantization base quantisation, only with QLoRA (defaults apply when null)
 * @param dpo DPO settings, only with the DPO objective (defaults apply when null)
 * @param embedding embedding settings, only with the embedding objective (defaults apply when null)
 * @param reranker reranker settings, only with the reranker objective (defaults apply when null)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TrainingMethod(
        @JsonProperty("objective") Objective objective,
        @JsonProperty("adapter") AdapterType adapter,
        @JsonProperty("lora") LoraConfig lora,
        @JsonProperty("quantization") QuantizationConfig quantization,
        @JsonProperty("dpo") DpoConfig dpo,
        @JsonProperty("embedding") EmbeddingConfig embedding,
        @JsonProperty("reranker") RerankerConfig reranker) {

    /**
     * A method of a language-model objective (no encoder settings).
     *
     * @param objective what is optimised
     * @param adapter which weights are trained
     * @param lora adapter settings
     * @param quantization base quantisation
     * @param dpo DPO settings
     */
    public TrainingMethod(Objective objective, AdapterType adapter, LoraConfig lora, QuantizationConfig quantization,
            DpoConfig dpo) {
        this(objective, adapter, lora, quantization, dpo, null, null);
    }

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

    /** @return an embedding model trained with LoRA r=16 and in-batch negatives */
    public static TrainingMethod embeddingLora() {
        return embedding(AdapterType.LORA, EmbeddingConfig.defaults());
    }

    /**
     * @param adapter full or lora
     * @param embedding the loss and its settings
     * @return an embedding (bi-encoder) method
     */
    public static TrainingMethod embedding(AdapterType adapter, EmbeddingConfig embedding) {
        return new TrainingMethod(Objective.EMBEDDING, adapter, null, null, null, embedding, null);
    }

    /**
     * @param adapter full or lora
     * @return a reranker (cross-encoder) method whose loss follows its data (binary cross-entropy for
     *     scored-pairs, listwise for groups)
     */
    public static TrainingMethod reranker(AdapterType adapter) {
        return reranker(adapter, new RerankerConfig(null, null));
    }

    /**
     * @param adapter full or lora
     * @param reranker the loss and its settings
     * @return a reranker (cross-encoder) method
     */
    public static TrainingMethod reranker(AdapterType adapter, RerankerConfig reranker) {
        return new TrainingMethod(Objective.RERANKER, adapter, null, null, null, null, reranker);
    }

    /** @param lora adapter settings @return a copy with these settings */
    public TrainingMethod withLora(LoraConfig lora) {
        return new TrainingMethod(objective, adapter, lora, quantization, dpo, embedding, reranker);
    }

    /** @param quantization base quantisation @return a copy with these settings */
    public TrainingMethod withQuantization(QuantizationConfig quantization) {
        return new TrainingMethod(objective, adapter, lora, quantization, dpo, embedding, reranker);
    }

    /** @param dpo DPO settings @return a copy with these settings */
    public TrainingMethod withDpo(DpoConfig dpo) {
        return new TrainingMethod(objective, adapter, lora, quantization, dpo, embedding, reranker);
    }

    /** @param embedding embedding settings @return a copy with these settings */
    public TrainingMethod withEmbedding(EmbeddingConfig embedding) {
        return new TrainingMethod(objective, adapter, lora, quantization, dpo, embedding, reranker);
    }

    /** @param reranker reranker settings @return a copy with these settings */
    public TrainingMethod withReranker(RerankerConfig reranker) {
        return new TrainingMethod(objective, adapter, lora, quantization, dpo, embedding, reranker);
    }

    /** @return whether the job writes a merged copy of its LoRA adapter beside it (encoder objectives) */
    public boolean mergedCopy() {
        return embedding != null && Boolean.TRUE.equals(embedding.mergedCopy())
                || reranker != null && Boolean.TRUE.equals(reranker.mergedCopy());
    }

    TrainingMethod resolved(DatasetFormat format) {
        if (objective == null || adapter == null) {
            return this;
        }
        LoraConfig l = adapter.usesLora() ? (lora == null ? LoraConfig.defaults() : lora.resolved()) : lora;
        QuantizationConfig q = adapter == AdapterType.QLORA
                ? (quantization == null ? QuantizationConfig.defaults() : quantization.resolved())
                : quantization;
        DpoConfig d = objective == Objective.DPO ? (dpo == null ? DpoConfig.defaults() : dpo.resolved()) : dpo;
        EmbeddingConfig e = objective == Objective.EMBEDDING
                ? (embedding == null ? EmbeddingConfig.defaults() : embedding.resolved()) : embedding;
        RerankerConfig r = objective == Objective.RERANKER
                ? (reranker == null ? new RerankerConfig(null, null) : reranker).resolved(format) : reranker;
        return new TrainingMethod(objective, adapter, l, q, d, e, r);
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
        if (embedding != null) {
            if (objective != null && objective != Objective.EMBEDDING) {
                c.add(Checks.at(at, "embedding"), "only applies to objective embedding, got " + objective.wireName());
            }
            embedding.check(c, Checks.at(at, "embedding"), adapter);
        }
        if (reranker != null) {
            if (objective != null && objective != Objective.RERANKER) {
                c.add(Checks.at(at, "reranker"), "only applies to objective reranker, got " + objective.wireName());
            }
            checkMergedCopy(c, Checks.at(at, "reranker"), reranker.mergedCopy(), adapter);
        }
        if (objective != null && !objective.languageModel() && adapter == AdapterType.QLORA) {
            c.add(Checks.at(at, "adapter"), "objective " + objective.wireName() + " trains with adapter full or lora: "
                    + "the pinned sentence-transformers loads encoders without 4-bit quantisation (and encoders are "
                    + "small enough to train in bf16), got qlora");
        }
    }

    static void checkMergedCopy(Checks c, String at, Boolean mergedCopy, AdapterType adapter) {
        if (Boolean.TRUE.equals(mergedCopy) && adapter != null && adapter != AdapterType.LORA) {
            c.add(Checks.at(at, "merged_copy"), "only applies to adapter lora (the output is then the adapter, and "
                    + "the merged copy a whole model), got " + adapter.wireName());
        }
    }

    /** @return for example {@code sft+lora} */
    public String label() {
        return (objective == null ? "?" : objective.wireName()) + "+" + (adapter == null ? "?" : adapter.wireName());
    }
}
