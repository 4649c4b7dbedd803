package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonValue;

/** Which of a job's checkpoints becomes its output. */
public enum CheckpointSelection implements WireName {
    /** The weights at the last step. */
    LAST,
    /**
     * The evaluated weights with the best value of {@code checkpoints.metric} (evaluated at every save, on the
     * validation data): the lowest for a loss, the highest otherwise.
     */
    BEST;

    @JsonValue
    @Override
    public String wireName() {
        return WireName.lower(this);
    }
}
