package dev.koder.training.core;

import dev.koder.training.api.FailureCause;
import dev.koder.training.spi.ExitStatus;

/**
 * How an attempt ended, decided from what is known when its trainer is gone: a pure function of {@link Facts}, in
 * the style of {@link FailureClassifier} (which names the cause when the answer is {@link Outcome#FAILED}). The
 * {@link Supervisor} gathers the facts, asks, then stores the answer.
 */
final class AttemptEnd {

    /** Why the service itself stopped the trainer: the first stop it sent wins. */
    enum StopReason {
        /** A user asked for a cancel. */
        CANCEL,
        /** A user asked for a pause. */
        PAUSE,
        /** The job used more GPU-hours than it reserved, past the margin. */
        QUOTA,
        /** A job of a higher tier needed its GPUs. */
        PREEMPT,
        /** It ran past {@code max_runtime_minutes}. */
        TIMEOUT,
        /** The service is closing. */
        SHUTDOWN
    }

    /** The answers, in the order they are considered. */
    enum Outcome {
        /** The trainer reported its output: the job succeeded. */
        SUCCEEDED,
        /** A cancel was asked for. */
        CANCELLED,
        /** A pause was asked for: PAUSED, resumable from its checkpoint. */
        PAUSED,
        /** Stopped for using more than it reserved: FAILED (quota_exceeded). */
        OVER_QUOTA,
        /** Stopped for a job of a higher tier: QUEUED again. */
        PREEMPTED,
        /** Stopped at its max runtime: FAILED (timeout). */
        TIMED_OUT,
        /** No trainer was ever started for the attempt (the service died first): QUEUED again, not counted. */
        NOT_STARTED,
        /** The service lost the trainer (it stopped, or restarted and found it gone): by the recovery policy. */
        LOST,
        /** The executor says the trainer's host went away: by the recovery policy. */
        HOST_GONE,
        /** Anything else: the classifier names the cause, the retry policy decides what follows. */
        FAILED
    }

    /**
     * @param completed the trainer reported its output
     * @param exit how it exited ({@link ExitStatus#UNKNOWN} when nobody saw it)
     * @param trainerReportedError the trainer sent an error event
     * @param stop the stop the service sent, or null
     * @param cancelRequested a cancel is stored for the job
     * @param pauseRequested a pause is stored for the job
     * @param recovered the supervisor took the job over after a restart (or from the reconciler)
     * @param neverStarted no trainer was started for the attempt
     */
    record Facts(boolean completed, ExitStatus exit, boolean trainerReportedError, StopReason stop,
            boolean cancelRequested, boolean pauseRequested, boolean recovered, boolean neverStarted) {
    }

    private AttemptEnd() {
    }

    /** @param f what is known @return how the attempt ended */
    static Outcome decide(Facts f) {
        ExitStatus exit = f.exit();
        // A trainer that reported its output and then exited on a stop the service sent itself (a limit reached as
        // it finished) still finished the job.
        boolean stoppedByUs = f.stop() != null && f.stop() != StopReason.CANCEL && f.stop() != StopReason.PAUSE;
        if (f.completed() && (exit.success() || exit.exitCode().isEmpty()
                || (stoppedByUs && FailureClassifier.executorCause(exit) == null && !f.trainerReportedError()))) {
            return Outcome.SUCCEEDED;
        }
        if (f.cancelRequested()) {
            return Outcome.CANCELLED;
        }
        if (f.pauseRequested()) {
            return Outcome.PAUSED;
        }
        if (f.stop() == StopReason.QUOTA) {
            return Outcome.OVER_QUOTA;
        }
        if (f.stop() == StopReason.PREEMPT) {
            return Outcome.PREEMPTED;
        }
        if (f.stop() == StopReason.TIMEOUT) {
            return Outcome.TIMED_OUT;
        }
        if (f.neverStarted()) {
            return Outcome.NOT_STARTED;
        }
        if (f.stop() == StopReason.SHUTDOWN
                || (f.recovered() && exit.exitCode().isEmpty() && !f.trainerReportedError())) {
            return Outcome.LOST;
        }
        if (FailureClassifier.executorCause(exit) == FailureCause.HOST_RESTART && !f.trainerReportedError()) {
            return Outcome.HOST_GONE;
        }
        return Outcome.FAILED;
    }
}
