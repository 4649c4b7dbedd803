package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonValue;

/** What the training optimises. */
public enum Objective implements WireName {
    /** Supervised fine-tuning: next-token loss on the completions. */
    SFT,
    /** Direct preference optimisation on chosen/rejected pairs. */
    DPO;

    @JsonValue
    @Override
    public String wireName() {
        return WireName.lower(this);
    }
}
