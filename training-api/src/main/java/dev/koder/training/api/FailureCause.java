package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonValue;

/** Why a job failed, classified so that callers and dashboards can act on it. */
public enum FailureCause implements WireName {
    /** A dataset broke the format rules; the job's events list the lines. */
    INVALID_DATASET,
    /** The base model folder is missing or unreadable. */
    INVALID_MODEL,
    /** The GPU ran out of memory. */
    OUT_OF_MEMORY,
    /** The host ran out of memory and the kernel killed the trainer. */
    HOST_OUT_OF_MEMORY,
    /** A Python package or native library the trainer needs is missing. */
    MISSING_DEPENDENCY,
    /** The trainer could not read or process the data. */
    DATASET,
    /** The trainer rejected its configuration. */
    CONFIG,
    /** A CUDA error other than out-of-memory. */
    CUDA,
    /** The loss became NaN or infinite. */
    NAN_LOSS,
    /** A process of a job of several lost its peers: a collective (NCCL, gloo) timed out or a connection closed. */
    DISTRIBUTED,
    /** The trainer was killed by a signal nobody asked for. */
    KILLED,
    /** The job ran past its max runtime. */
    TIMEOUT,
    /** The job used more GPU-hours than it reserved (beyond the allowed margin); stopped with a checkpoint. */
    QUOTA_EXCEEDED,
    /** The service restarted while the job ran and the recovery policy is to fail such jobs. */
    HOST_RESTART,
    /** The trainer process could not be started. */
    LAUNCH_FAILED,
    /** The runner or executor the job needs is not installed. */
    PLUGIN_MISSING,
    /** None of the above; see the message and log tail. */
    UNKNOWN;

    @JsonValue
    @Override
    public String wireName() {
        return WireName.lower(this);
    }
}
