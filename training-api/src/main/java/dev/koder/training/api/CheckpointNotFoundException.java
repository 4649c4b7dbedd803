package dev.koder.training.api;

/** No checkpoint has the given id. Not retriable. */
public class CheckpointNotFoundException extends TrainingException {
    private static final long serialVersionUID = 1L;

    /** @param id the id that was looked up */
    public CheckpointNotFoundException(String id) {
        super("No checkpoint with id '" + id + "'", false);
    }
}
