package dev.koder.training.slurm;

import java.io.IOException;

/** slurmrestd refused a request, or could not be reached; the message holds Slurm's own errors. */
public final class SlurmException extends IOException {

    private static final long serialVersionUID = 1L;

    private final int status;

    SlurmException(int status, String message) {
        super(message);
        this.status = status;
    }

    SlurmException(String message, Throwable cause) {
        super(message, cause);
        this.status = -1;
    }

    /** @return the HTTP status, or -1 when no answer came */
    public int status() {
        return status;
    }
}
