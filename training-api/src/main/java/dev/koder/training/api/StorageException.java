package dev.koder.training.api;

/**
 * The SDK could not read or write its own state: an unwritable home directory, a corrupt or foreign
 * database, a database busy for too long. The message names the file or directory and what to do.
 */
public class StorageException extends TrainingException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what failed, where, and what to do
     * @param retriable true for transient failures such as a locked database
     * @param cause the underlying failure, may be null
     */
    public StorageException(String message, boolean retriable, Throwable cause) {
        super(message, retriable, cause);
    }
}
