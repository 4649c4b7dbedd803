package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonValue;

/** Numeric precision of training or of QLoRA compute. */
public enum Precision implements WireName {
    /** bf16 where the hardware supports it, else fp32. Not valid as a QLoRA compute dtype. */
    AUTO,
    /** bfloat16 mixed precision. */
    BF16,
    /** float16 mixed precision (GPU only). */
    FP16,
    /** float32. */
    FP32;

    @JsonValue
    @Override
    public String wireName() {
        return WireName.lower(this);
    }
}
