package dev.koder.training.spi;

import dev.koder.training.api.FailureCause;
import java.util.OptionalInt;

/**
 * How a trainer process ended.
 *
 * @param code the exit code, or null when it cannot be known (a process re-attached after a restart of the
 *     service ends without telling its code)
 * @param cause what the executor knows beyond the code, or null: a cluster engine that ended the job itself (its
 *     time limit: {@link FailureCause#TIMEOUT}; its node failed or it was preempted: {@link FailureCause#HOST_RESTART},
 *     which queues the job again by the recovery policy; the node ran out of memory: {@link
 *     FailureCause#HOST_OUT_OF_MEMORY}; cancelled from outside the service: {@link FailureCause#KILLED})
 * @param reason the executor's words for the cause, or null
 */
public record ExitStatus(Integer code, FailureCause cause, String reason) {

    /** An exit whose code is unknown. */
    public static final ExitStatus UNKNOWN = new ExitStatus(null);

    /** @param code the exit code, or null when unknown */
    public ExitStatus(Integer code) {
        this(code, null, null);
    }

    /** @return the exit code, if known */
    public OptionalInt exitCode() {
        return code == null ? OptionalInt.empty() : OptionalInt.of(code);
    }

    /** @return true for exit code 0 */
    public boolean success() {
        return code != null && code == 0 && cause == null;
    }

    /**
     * @return the signal that ended the process, if the code says so (128 + signal, as shells and the JDK
     *     report it)
     */
    public OptionalInt signal() {
        return code != null && code > 128 && code < 160 ? OptionalInt.of(code - 128) : OptionalInt.empty();
    }
}
