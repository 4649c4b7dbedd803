package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonValue;

/**
 * Where a checkpoint is in its lifecycle: {@code DRAFT -> APPROVED -> DEPRECATED}, or {@code DRAFT ->
 * DEPRECATED}; nothing goes back.
 */
public enum CheckpointStage implements WireName {
    /** Registered, not yet judged. */
    DRAFT,
    /** Trusted for use. */
    APPROVED,
    /** Not to be used any more. */
    DEPRECATED;

    /** @param to a stage @return whether a checkpoint in this stage may move to it */
    public boolean canBecome(CheckpointStage to) {
        return this == DRAFT && (to == APPROVED || to == DEPRECATED) || this == APPROVED && to == DEPRECATED;
    }

    @JsonValue
    @Override
    public String wireName() {
        return WireName.lower(this);
    }
}
