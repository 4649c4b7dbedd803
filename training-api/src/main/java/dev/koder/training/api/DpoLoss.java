package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonValue;

/** Loss function of DPO training. */
public enum DpoLoss implements WireName {
    /** The original DPO loss; the default. */
    SIGMOID,
    /** Hinge loss from SLiC. */
    HINGE,
    /** Identity preference optimisation. */
    IPO,
    /** Robust DPO, tolerant of noisy labels. */
    ROBUST;

    @JsonValue
    @Override
    public String wireName() {
        return WireName.lower(this);
    }
}
