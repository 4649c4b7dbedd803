package dev.koder.training.python;

import dev.koder.training.api.FailureCause;
import dev.koder.training.api.JobFailure;
import dev.koder.training.spi.ExitStatus;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads what a Python trainer's stderr says about how it died when it could not report it itself: an
 * out-of-memory message, a missing module, the exception at the end of a traceback. Only evidence from the
 * text: how a kill by signal is read (the kernel's out-of-memory killer or not) is decided by the service, in
 * one place for every runner.
 */
public final class PythonFailures {

    private static final Pattern MISSING_MODULE = Pattern.compile("No module named '([^']+)'");
    private static final Pattern EXCEPTION_LINE = Pattern.compile("^([A-Za-z_][\\w.]*(Error|Exception|Interrupt))"
            + "(: (.*))?$");

    private PythonFailures() {
    }

    /**
     * @param exit how the trainer ended
     * @param stderr its last stderr lines
     * @param python the interpreter it ran with, for install hints
     * @return the failure, or empty when nothing here says what happened
     */
    public static Optional<JobFailure> classify(ExitStatus exit, List<String> stderr, String python) {
        String text = String.join("\n", stderr);
        if (text.contains("CUDA out of memory") || text.contains("torch.OutOfMemoryError")
                || text.contains("torch.cuda.OutOfMemoryError")) {
            return Optional.of(new JobFailure(FailureCause.OUT_OF_MEMORY, "the GPU ran out of memory; lower "
                    + "micro_batch_size or max_seq_length, or turn on gradient_checkpointing", stderr));
        }
        Matcher missing = MISSING_MODULE.matcher(text);
        if (missing.find()) {
            String module = missing.group(1).split("\\.")[0];
            return Optional.of(new JobFailure(FailureCause.MISSING_DEPENDENCY, "Python module '" + module
                    + "' is missing from " + python + "; install it with: " + python + " -m pip install "
                    + module.replace('_', '-'), stderr));
        }
        for (int i = stderr.size() - 1; i >= 0; i--) {
            Matcher m = EXCEPTION_LINE.matcher(stderr.get(i).trim());
            if (m.matches()) {
                return Optional.of(new JobFailure(FailureCause.UNKNOWN, "the trainer raised " + stderr.get(i).trim(),
                        stderr));
            }
        }
        return Optional.empty();
    }
}
