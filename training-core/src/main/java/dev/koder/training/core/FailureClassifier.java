package dev.koder.training.core;

import dev.koder.training.api.FailureCause;
import dev.koder.training.api.JobFailure;
import dev.koder.training.spi.ExitStatus;
import java.util.List;
import java.util.Locale;

/**
 * Names the cause of a failed attempt from what the trainer reported (an {@code error} event), how it
 * exited and what it wrote to stderr. The trainer's own report wins; the log is read only without one.
 */
final class FailureClassifier {

    private FailureClassifier() {
    }

    static JobFailure classify(TrainerState state, ExitStatus exit, List<String> stderrTail) {
        if (state.errorKind != null) {
            return new JobFailure(fromKind(state.errorKind), state.errorMessage, stderrTail);
        }
        String log = String.join("\n", stderrTail);
        String lower = log.toLowerCase(Locale.ROOT);
        if (lower.contains("cuda out of memory") || lower.contains("outofmemoryerror")) {
            return new JobFailure(FailureCause.OUT_OF_MEMORY, "the GPU ran out of memory; lower micro_batch_size or "
                    + "max_seq_length, or turn on gradient_checkpointing", stderrTail);
        }
        if (lower.contains("modulenotfounderror") || lower.contains("importerror")) {
            return new JobFailure(FailureCause.MISSING_DEPENDENCY, "a Python package is missing: "
                    + lastMatching(stderrTail, "Error"), stderrTail);
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

    private static String lastMatching(List<String> lines, String needle) {
        for (int i = lines.size() - 1; i >= 0; i--) {
            if (lines.get(i).contains(needle)) {
                return lines.get(i).trim();
            }
        }
        return lines.isEmpty() ? "" : lines.get(lines.size() - 1).trim();
    }
}
