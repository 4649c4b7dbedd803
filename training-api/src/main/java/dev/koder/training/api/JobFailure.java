package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * Why a job failed.
 *
 * @param cause the classified cause
 * @param message one or more sentences for people
 * @param logTail the last lines the trainer wrote to stderr, oldest first (empty when there are none)
 */
public record JobFailure(
        @JsonProperty("cause") FailureCause cause,
        @JsonProperty("message") String message,
        @JsonProperty("log_tail") List<String> logTail) {

    /** Copies the tail so the record stays immutable. */
    public JobFailure {
        logTail = logTail == null ? List.of() : List.copyOf(logTail);
    }

    /** @param cause classified cause @param message for people @return a failure without log lines */
    public static JobFailure of(FailureCause cause, String message) {
        return new JobFailure(cause, message, List.of());
    }
}
