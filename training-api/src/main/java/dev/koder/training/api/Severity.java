package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonValue;

/** How bad a dataset finding is. */
public enum Severity implements WireName {
    /** The file cannot be trained on as it is. */
    ERROR,
    /** Trainable, but probably not what was meant (an over-long example, an ignored key). */
    WARNING;

    @JsonValue
    @Override
    public String wireName() {
        return WireName.lower(this);
    }
}
