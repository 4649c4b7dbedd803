package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonValue;

/** The loss of a reranker job. */
public enum RerankerLoss implements WireName {
    /** Binary cross-entropy of each (query, document) score against its label; the default for scored-pairs. */
    BINARY_CROSS_ENTROPY,
    /** ListNet: the softmax over a query's candidates against its labels; the default for groups. */
    LISTNET,
    /** LambdaLoss with NDCG weighting over a query's candidates (groups only). */
    LAMBDA;

    /** @return whether the loss ranks a query's candidates together, so it needs groups data */
    public boolean listwise() {
        return this != BINARY_CROSS_ENTROPY;
    }

    @JsonValue
    @Override
    public String wireName() {
        return WireName.lower(this);
    }
}
