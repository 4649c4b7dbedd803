package dev.koder.training.api;

/**
 * A checkpoint cannot make the asked move: its stage does not allow it, or another transition of the same
 * checkpoint happened first (then {@link #conflict()} is true and reading it again shows the winner).
 */
public class IllegalCheckpointStateException extends TrainingException {
    private static final long serialVersionUID = 1L;

    private final boolean conflict;

    /**
     * @param message what was asked, and why it cannot be done
     * @param conflict whether a concurrent transition won
     */
    public IllegalCheckpointStateException(String message, boolean conflict) {
        super(message, false);
        this.conflict = conflict;
    }

    /** @return whether another transition of the checkpoint happened first */
    public boolean conflict() {
        return conflict;
    }
}
