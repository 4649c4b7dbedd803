package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonValue;

/** 4-bit data type of a QLoRA base model. */
public enum QuantType implements WireName {
    /** 4-bit NormalFloat, the QLoRA paper's default. */
    NF4,
    /** 4-bit floating point. */
    FP4;

    @JsonValue
    @Override
    public String wireName() {
        return WireName.lower(this);
    }
}
