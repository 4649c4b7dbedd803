package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonValue;

/** Service tier of a tenant. Queues serve enterprise before pro before free. */
public enum Tier implements WireName {
    /** Served first. */
    ENTERPRISE,
    /** Served after enterprise. */
    PRO,
    /** Served last; the default. */
    FREE;

    @JsonValue
    @Override
    public String wireName() {
        return WireName.lower(this);
    }
}
