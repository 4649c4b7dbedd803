package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One finding in a dataset file.
 *
 * @param severity error or warning
 * @param file the file
 * @param line 1-based line number, or 0 for the file as a whole
 * @param pointer JSON pointer inside the line's object, {@code ""} for the whole line
 * @param message what is wrong and, where it helps, what to do
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record DatasetIssue(
        @JsonProperty("severity") Severity severity,
        @JsonProperty("file") String file,
        @JsonProperty("line") long line,
        @JsonProperty("pointer") String pointer,
        @JsonProperty("message") String message) {

    /** @return {@code file:line: pointer: message}, the way compilers print findings */
    @Override
    public String toString() {
        String where = line > 0 ? file + ":" + line : file;
        String at = pointer == null || pointer.isEmpty() ? "" : pointer + ": ";
        return where + ": " + severity.wireName() + ": " + at + message;
    }
}
