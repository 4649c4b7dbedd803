package dev.koder.training.api;

/**
 * The job is in a state where the requested action makes no sense (cancelling a job that already
 * succeeded). Not retriable.
 */
public class IllegalJobStateException extends TrainingException {

    private static final long serialVersionUID = 1L;

    /** @param message what was asked, the job's state, and why it cannot be done */
    public IllegalJobStateException(String message) {
        super(message, false);
    }
}
