package dev.koder.training.api;

/**
 * A trainer could not run or failed, with its classified cause and the last lines it wrote. Runners throw it
 * from their preparation (a missing package, no CUDA for a GPU job); the service records the failure on the
 * job.
 */
public class TrainerFailedException extends TrainingException {

    private static final long serialVersionUID = 1L;

    private final transient JobFailure failure;

    /** @param failure the classified cause, a message a user can act on, and log lines if any */
    public TrainerFailedException(JobFailure failure) {
        super(failure.cause().wireName() + ": " + failure.message(), false);
        this.failure = failure;
    }

    /** @return the classified failure */
    public JobFailure failure() {
        return failure;
    }
}
