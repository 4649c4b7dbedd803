package dev.koder.training.spi;

import java.util.OptionalInt;

/**
 * How a trainer process ended.
 *
 * @param code the exit code, or null when it cannot be known (a process re-attached after a restart of the
 *     service ends without telling its code)
 */
public record ExitStatus(Integer code) {

    /** An exit whose code is unknown. */
    public static final ExitStatus UNKNOWN = new ExitStatus(null);

    /** @return the exit code, if known */
    public OptionalInt exitCode() {
        return code == null ? OptionalInt.empty() : OptionalInt.of(code);
    }

    /** @return true for exit code 0 */
    public boolean success() {
        return code != null && code == 0;
    }

    /**
     * @return the signal that ended the process, if the code says so (128 + signal, as shells and the JDK
     *     report it)
     */
    public OptionalInt signal() {
        return code != null && code > 128 && code < 160 ? OptionalInt.of(code - 128) : OptionalInt.empty();
    }
}
