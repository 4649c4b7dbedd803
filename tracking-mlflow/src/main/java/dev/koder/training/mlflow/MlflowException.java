package dev.koder.training.mlflow;

import java.time.Duration;
import java.util.Optional;

/**
 * A request to MLflow failed. Retryable: no answer (unreachable, timed out), 429 and 5xx; never another 4xx.
 */
final class MlflowException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final String errorCode;
    private final boolean retryable;
    private final transient Duration retryAfter;

    MlflowException(int status, String errorCode, String message, boolean retryable) {
        this(status, errorCode, message, retryable, null);
    }

    MlflowException(int status, String errorCode, String message, boolean retryable, Duration retryAfter) {
        super(message);
        this.status = status;
        this.errorCode = errorCode;
        this.retryable = retryable;
        this.retryAfter = retryAfter;
    }

    /** @return the HTTP status, or 0 when there was no answer */
    int status() {
        return status;
    }

    /** @return MLflow's error code (RESOURCE_ALREADY_EXISTS, ...), or TIMEOUT, UNREACHABLE, HTTP_nnn */
    String errorCode() {
        return errorCode;
    }

    /** @return whether sending again later may succeed */
    boolean retryable() {
        return retryable;
    }

    /** @return whether the server may have applied the request although the client saw it fail */
    boolean ambiguous() {
        return status == 0 || status >= 500;
    }

    /** @return whether the server refused who or where we are (401, 403): settings to fix, not data to skip */
    boolean denied() {
        return status == 401 || status == 403;
    }

    /** @return how long the server asked the client to wait, if it said */
    Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
