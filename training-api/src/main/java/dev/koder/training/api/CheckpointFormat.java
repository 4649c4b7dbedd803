package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonValue;

/** What a checkpoint's files are. */
public enum CheckpointFormat implements WireName {
    /** A PEFT adapter (adapter_config.json and adapter weights) to load on its base model. */
    PEFT_ADAPTER,
    /** A whole model (config.json and weights). */
    FULL_MODEL;

    @JsonValue
    @Override
    public String wireName() {
        return WireName.lower(this);
    }
}
