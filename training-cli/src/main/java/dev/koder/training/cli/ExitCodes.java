package dev.koder.training.cli;

/** Exit codes of the {@code training} command. */
final class ExitCodes {

    /** Everything went well. */
    static final int OK = 0;
    /** The job failed or was cancelled, or the service could not do its work. */
    static final int FAILED = 1;
    /** The input was invalid: a spec, a dataset, an option, an unknown job. */
    static final int INVALID = 2;
    /** Refused: the tenant's GPU-hour budget does not cover the job (retry next month or raise the budget). */
    static final int QUOTA = 3;

    private ExitCodes() {
    }
}
