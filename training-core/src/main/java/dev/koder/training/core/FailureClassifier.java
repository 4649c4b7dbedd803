package dev.koder.training.core;

import dev.koder.training.api.FailureCause;
import dev.koder.training.api.JobFailure;
import dev.koder.training.spi.ExitStatus;
import dev.koder.training.spi.TrainingRunner;
import java.util.List;
import java.util.Optional;

/**
 * Names the cause of a failed attempt: the trainer's own {@code error} event wins; then its runner, which
 * knows its trainer's stderr (Python tracebacks and the like); then the exit status.
 */
final class FailureClassifier {

    private FailureClassifier() {
    }

    /**
     * @param state what the trainer reported
     * @param exit how it exited
     * @param stderrTail its last stderr lines
     * @param runner its runner, asked when the trainer reported nothing (may be null)
     * @return the failure
     */
    static JobFailure classify(TrainerState state, ExitStatus exit, List<String> stderrTail, TrainingRunner runner) {
        if (state.errorKind != null) {
            return new JobFailure(fromKind(state.errorKind), state.errorMessage, stderrTail);
        }
        if (runner != null) {
            Optional<JobFailure> known = runner.classifyFailure(exit, stderrTail);
            if (known.isPresent()) {
                return known.get();
            }
        }
        if (exit.signal().isPresent()) {
            int signal = exit.signal().getAsInt();
            String hint = signal == 9 ? " (SIGKILL from outside the service: on Linux usually the kernel's "
                    + "out-of-memory killer; check the host's memory)" : "";
            return new JobFailure(FailureCause.KILLED, "the trainer was killed by signal " + signal + hint, stderrTail);
        }
        String code = exit.exitCode().isPresent() ? "exited with code " + exit.exitCode().getAsInt()
                : "ended while the service was not watching";
        return new JobFailure(FailureCause.UNKNOWN, "the trainer " + code + " without reporting an error"
                + (stderrTail.isEmpty() ? "" : "; last stderr line: " + stderrTail.get(stderrTail.size() - 1)),
                stderrTail);
    }

    static FailureCause fromKind(String kind) {
        switch (kind) {
            case "out_of_memory":
                return FailureCause.OUT_OF_MEMORY;
            case "cuda":
                return FailureCause.CUDA;
            case "dataset":
                return FailureCause.DATASET;
            case "config":
                return FailureCause.CONFIG;
            case "dependency":
                return FailureCause.MISSING_DEPENDENCY;
            case "nan_loss":
            case "nan":
                return FailureCause.NAN_LOSS;
            default:
                return FailureCause.UNKNOWN;
        }
    }
}
