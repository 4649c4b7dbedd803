package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * What a scan of one dataset file found. The scan reads the whole file (in bounded memory) to count, but
 * lists only the first findings; {@link #omitted()} says how many more there were.
 *
 * @param file the file
 * @param format the format it was checked against
 * @param stats its size; counts only valid examples
 * @param issues the first findings, in line order
 * @param errors errors in total, listed or not
 * @param warnings warnings in total, listed or not
 */
public record DatasetReport(
        @JsonProperty("file") String file,
        @JsonProperty("format") DatasetFormat format,
        @JsonProperty("stats") DatasetStats stats,
        @JsonProperty("issues") List<DatasetIssue> issues,
        @JsonProperty("errors") long errors,
        @JsonProperty("warnings") long warnings) {

    /** Copies the issues so the record stays immutable. */
    public DatasetReport {
        issues = List.copyOf(issues);
    }

    /** @return true when the file has no errors (warnings allowed) */
    @JsonProperty("valid")
    public boolean valid() {
        return errors == 0;
    }

    /** @return findings counted but not listed */
    @JsonProperty("omitted")
    public long omitted() {
        return errors + warnings - issues.size();
    }
}
