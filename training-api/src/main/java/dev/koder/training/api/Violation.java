package dev.koder.training.api;

import java.util.Objects;

/**
 * One thing wrong with a job spec or a file: where it is (a JSON pointer, RFC 6901) and a sentence saying
 * what is wrong.
 *
 * <p>The same mistake yields the same violation whether the spec was made with {@link JobSpec#builder()} or
 * read from JSON, so tools can match on {@link #pointer()} and show {@link #message()} to people.
 *
 * @param pointer JSON pointer to the offending value, {@code ""} for the whole document, for example
 *     {@code /method/lora/rank}
 * @param message what is wrong, as a sentence fragment a user can act on, for example
 *     {@code must be between 1 and 1024, got 0}
 */
public record Violation(String pointer, String message) {

    /** Checks both parts are present. */
    public Violation {
        Objects.requireNonNull(pointer, "pointer");
        Objects.requireNonNull(message, "message");
    }

    /**
     * Escapes one reference token of a JSON pointer ({@code ~} becomes {@code ~0}, {@code /} becomes {@code ~1}).
     *
     * @param token a property name or array index
     * @return the token as it appears inside a pointer
     */
    public static String escape(String token) {
        return token.replace("~", "~0").replace("/", "~1");
    }

    /** Returns {@code pointer: message}, or just the message for the document root. */
    @Override
    public String toString() {
        return pointer.isEmpty() ? message : pointer + ": " + message;
    }
}
