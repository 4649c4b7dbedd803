package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonValue;

/** Which weights are trained. */
public enum AdapterType implements WireName {
    /** Every weight of the model. */
    FULL,
    /** Low-rank adapters on a frozen base. */
    LORA,
    /** Low-rank adapters on a frozen base quantised to 4 bits. */
    QLORA;

    @JsonValue
    @Override
    public String wireName() {
        return WireName.lower(this);
    }

    /** @return true for LoRA and QLoRA */
    public boolean usesLora() {
        return this != FULL;
    }
}
