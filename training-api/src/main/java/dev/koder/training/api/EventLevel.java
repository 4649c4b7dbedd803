package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonValue;

/** Importance of a {@link JobEvent}. */
public enum EventLevel implements WireName {
    /** Detail for debugging. */
    DEBUG,
    /** Normal progress. */
    INFO,
    /** Something a user should look at, the job goes on. */
    WARN,
    /** Something failed. */
    ERROR;

    @JsonValue
    @Override
    public String wireName() {
        return WireName.lower(this);
    }
}
