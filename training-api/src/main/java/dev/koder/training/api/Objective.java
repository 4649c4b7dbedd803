package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonValue;

/** What the training optimises. */
public enum Objective implements WireName {
    /** Supervised fine-tuning: next-token loss on the completions. */
    SFT,
    /** Direct preference optimisation on chosen/rejected pairs. */
    DPO,
    /**
     * A bi-encoder (an embedding model) trained contrastively on (anchor, positive) pairs: each anchor against
     * every other positive of the batch, and its own hard negatives.
     */
    EMBEDDING,
    /** A cross-encoder scoring (query, document) together: binary cross-entropy on pairs, or listwise on groups. */
    RERANKER;

    /** @return true for the objectives of causal language models (SFT and DPO), false for the encoders' */
    public boolean languageModel() {
        return this == SFT || this == DPO;
    }

    @JsonValue
    @Override
    public String wireName() {
        return WireName.lower(this);
    }
}
