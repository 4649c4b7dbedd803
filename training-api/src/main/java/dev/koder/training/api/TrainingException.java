package dev.koder.training.api;

/**
 * Root of every error the SDK raises on purpose. Each subclass is a case a caller can act on; {@link
 * #retriable()} says whether trying the same call again later can succeed.
 */
public class TrainingException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final boolean retriable;

    /**
     * @param message a sentence saying what went wrong, where, and what to do
     * @param retriable whether the same call may succeed later without changes
     */
    public TrainingException(String message, boolean retriable) {
        super(message);
        this.retriable = retriable;
    }

    /**
     * @param message a sentence saying what went wrong, where, and what to do
     * @param retriable whether the same call may succeed later without changes
     * @param cause the underlying failure
     */
    public TrainingException(String message, boolean retriable, Throwable cause) {
        super(message, cause);
        this.retriable = retriable;
    }

    /** @return true when the same call may succeed later without changes (a busy store, a lost connection) */
    public boolean retriable() {
        return retriable;
    }
}
