package dev.koder.training.core;

/** What happens to a job whose trainer was gone when the service started again. */
public enum RecoveryPolicy {
    /** Queue it again; its next attempt resumes from its last checkpoint (or starts over without one). */
    RESUME,
    /** Fail it with cause {@code host_restart}. */
    FAIL
}
