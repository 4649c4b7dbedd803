package dev.koder.training.spi;

import dev.koder.training.api.FailureCause;
import java.util.OptionalInt;

/**
 * How a trainer process ended.
 *
 * @param code the exit code, or null when it cannot be known (a process re-attached after a restart of the
 *     service ends without telling its code)
 * @param cause a cause the executor names itself, or null; the executors of this project leave it null and say what
 *     they know in {@code state}, which the service's failure classifier turns into a cause through the cause table
 * @param reason the executor's words for how it ended, or null
 * @param state the executor's own word for how the trainer ended when it ended it itself, prefixed with the
 *     executor's name (for example {@code slurm:NODE_FAIL}, {@code slurm:TIMEOUT}); the cause table ({@code
 *     failure-causes.json}, {@code executor_states}) says which cause each is; null for a plain exit
 */
public record ExitStatus(Integer code, FailureCause cause, String reason, String state) {

    /** An exit whose code is unknown. */
    public static final ExitStatus UNKNOWN = new ExitStatus(null);

    /** @param code the exit code, or null when unknown */
    public ExitStatus(Integer code) {
        this(code, null, null, null);
    }

    /**
     * @param code the exit code, or null when unknown
     * @param cause the cause the executor names, or null
     * @param reason its words for it, or null
     */
    public ExitStatus(Integer code, FailureCause cause, String reason) {
        this(code, cause, reason, null);
    }

    /**
     * @param code the exit code, or null when unknown
     * @param state the executor's word for how it ended the trainer ({@code <executor>:<WORD>})
     * @param reason its words for it
     * @return the exit
     */
    public static ExitStatus ended(Integer code, String state, String reason) {
        return new ExitStatus(code, null, reason, state);
    }

    /** @return the exit code, if known */
    public OptionalInt exitCode() {
        return code == null ? OptionalInt.empty() : OptionalInt.of(code);
    }

    /** @return true for exit code 0 */
    public boolean success() {
        return code != null && code == 0 && cause == null && state == null;
    }

    /**
     * @return the signal that ended the process, if the code says so (128 + signal, as shells and the JDK
     *     report it)
     */
    public OptionalInt signal() {
        return code != null && code > 128 && code < 160 ? OptionalInt.of(code - 128) : OptionalInt.empty();
    }
}
