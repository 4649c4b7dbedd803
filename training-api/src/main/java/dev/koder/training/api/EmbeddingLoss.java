package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonValue;

/** The contrastive loss of an embedding job. */
public enum EmbeddingLoss implements WireName {
    /**
     * In-batch negatives: each anchor against its positive, every other positive of the batch and the hard
     * negatives of the batch (sentence-transformers' MultipleNegativesRankingLoss); the default.
     */
    MULTIPLE_NEGATIVES_RANKING,
    /**
     * The same loss computed in mini-batches with cached gradients (GradCache), so the batch, and with it the
     * number of in-batch negatives, can be far larger than what fits in memory at once.
     */
    CACHED_MULTIPLE_NEGATIVES_RANKING;

    @JsonValue
    @Override
    public String wireName() {
        return WireName.lower(this);
    }
}
