package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.EnumSet;
import java.util.Set;

/**
 * Where a job is in its life. The allowed moves are fixed here and the job store refuses any other, so an
 * illegal transition cannot happen:
 *
 * <pre>
 * VALIDATING -&gt; QUEUED | FAILED | CANCELLED
 * QUEUED     -&gt; RUNNING | FAILED | CANCELLED | PAUSED
 * RUNNING    -&gt; SUCCEEDED | FAILED | CANCELLED | QUEUED (requeued to resume after a restart) | PAUSED
 * PAUSED     -&gt; QUEUED (resumed in place, from its checkpoint) | CANCELLED
 * SUCCEEDED, FAILED, CANCELLED: final
 * </pre>
 */
public enum JobStatus implements WireName {
    /** The spec's datasets and model are being checked. */
    VALIDATING,
    /** Waiting for resources. */
    QUEUED,
    /** A trainer process is working on it. */
    RUNNING,
    /**
     * Stopped on request ({@link Jobs#pause}) with its checkpoint kept and its GPU-hours still reserved;
     * {@link Jobs#resume} queues it again under the same id, and it goes on from the checkpoint.
     */
    PAUSED,
    /** Finished and produced its output. */
    SUCCEEDED,
    /** Stopped by an error; see {@link Job#failure()}. */
    FAILED,
    /** Stopped on request; a resumable checkpoint is kept when one was written. */
    CANCELLED;

    @JsonValue
    @Override
    public String wireName() {
        return WireName.lower(this);
    }

    /** @return true for succeeded, failed and cancelled */
    public boolean isTerminal() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED;
    }

    /** @return the statuses this one may move to */
    public Set<JobStatus> next() {
        switch (this) {
            case VALIDATING:
                return EnumSet.of(QUEUED, FAILED, CANCELLED);
            case QUEUED:
                return EnumSet.of(RUNNING, FAILED, CANCELLED, PAUSED);
            case RUNNING:
                return EnumSet.of(SUCCEEDED, FAILED, CANCELLED, QUEUED, PAUSED);
            case PAUSED:
                return EnumSet.of(QUEUED, CANCELLED);
            default:
                return EnumSet.noneOf(JobStatus.class);
        }
    }

    /** @param target the proposed next status @return whether the move is allowed */
    public boolean canBecome(JobStatus target) {
        return next().contains(target);
    }
}
