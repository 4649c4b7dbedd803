package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonValue;

/** Learning-rate schedule after warm-up. */
public enum Scheduler implements WireName {
    /** Linear decay to zero. */
    LINEAR,
    /** Cosine decay to zero; the default. */
    COSINE,
    /** Constant, no warm-up. */
    CONSTANT,
    /** Constant after warm-up. */
    CONSTANT_WITH_WARMUP;

    @JsonValue
    @Override
    public String wireName() {
        return WireName.lower(this);
    }
}
