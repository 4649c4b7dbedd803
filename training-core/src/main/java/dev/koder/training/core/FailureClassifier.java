package dev.koder.training.core;

import dev.koder.training.api.FailureCause;
import dev.koder.training.api.JobFailure;
import dev.koder.training.api.Violation;
import dev.koder.training.spi.ExitStatus;
import dev.koder.training.spi.TrainingRunner;
import java.util.List;
import java.util.Optional;

/**
 * The one place that names the cause of a failed attempt, for every runner: the trainer's own {@code error}
 * event wins (its kind mapped by {@link #fromKind}), unless it only says another rank of a job of several processes
 * went away ({@value #PEER_LOST}: the runner then names the rank that failed first); then what the executor knows
 * (a cluster engine's time limit, a failed node); then a kill by signal, where SIGKILL is the host running out
 * of memory only when the kernel shows its out-of-memory killer acted ({@link KernelOom}); then what the runner
 * reads in its trainer's stderr (Python tracebacks, CUDA messages); then the exit code.
 */
final class FailureClassifier {

    /** The error kind of a rank that only saw another rank of its job go away. */
    static final String PEER_LOST = "peer_lost";

    private FailureClassifier() {
    }

    /**
     * @param state what the trainer reported
     * @param exit how it exited
     * @param stderrTail its last stderr lines
     * @param runner its runner, asked when the trainer reported nothing (may be null)
     * @return the failure
     */
    static JobFailure classify(TrainerState state, ExitStatus exit, List<String> stderrTail, TrainingRunner runner,
            Optional<String> oomEvidence) {
        if (PEER_LOST.equals(state.errorKind) && runner != null) {
            // rank 0 only saw another rank go away; the launcher's summary says which rank failed first and how
            Optional<JobFailure> first = runner.classifyFailure(exit, stderrTail);
            if (first.isPresent()) {
                return first.get();
            }
        }
        if (state.errorKind != null) {
            return new JobFailure(fromKind(state.errorKind), state.errorMessage, stderrTail);
        }
        FailureCause byExecutor = executorCause(exit);
        if (byExecutor != null) {
            return new JobFailure(byExecutor, exit.reason() == null ? "the executor ended the trainer"
                    : exit.reason(), stderrTail);
        }
        if (exit.signal().isPresent()) {
            int signal = exit.signal().getAsInt();
            if (signal == 9 && oomEvidence.isPresent()) {
                return new JobFailure(FailureCause.HOST_OUT_OF_MEMORY, "the kernel's out-of-memory killer stopped "
                        + "the trainer (" + oomEvidence.get() + "): lower micro_batch_size or max_seq_length, or give "
                        + "the host more memory", stderrTail);
            }
            String hint = signal == 9 ? " (SIGKILL from outside the service, with no sign of the kernel's "
                    + "out-of-memory killer in the kernel log or the trainer's own memory cgroup: something or someone "
                    + "else killed it)" : "";
            return new JobFailure(FailureCause.KILLED, "the trainer was killed by signal " + signal + hint, stderrTail);
        }
        if (runner != null) {
            Optional<JobFailure> known = runner.classifyFailure(exit, stderrTail);
            if (known.isPresent()) {
                return known.get();
            }
        }
        String code = exit.exitCode().isPresent() ? "exited with code " + exit.exitCode().getAsInt()
                : "ended while the service was not watching";
        return new JobFailure(FailureCause.UNKNOWN, "the trainer " + code + " without reporting an error"
                + (stderrTail.isEmpty() ? "" : "; last stderr line: " + stderrTail.get(stderrTail.size() - 1)),
                stderrTail);
    }

    /**
     * @param exit how the trainer ended
     * @return the cause of an end the executor brought about itself (its state, through the cause table, or a cause
     *     it named), or null for a plain exit
     */
    static FailureCause executorCause(ExitStatus exit) {
        if (exit.cause() != null) {
            return exit.cause();
        }
        return exit.state() == null ? null : CauseTable.get().ofState(exit.state());
    }

    /**
     * @param violations what validation before training found
     * @return the cause of a job that failed validation: the base model when a finding is about it, else the data
     */
    static FailureCause ofValidation(List<Violation> violations) {
        return violations.stream().anyMatch(v -> v.pointer().equals("/base_model")) ? FailureCause.INVALID_MODEL
                : FailureCause.INVALID_DATASET;
    }

    static FailureCause fromKind(String kind) {
        return CauseTable.get().ofKind(kind);
    }
}
