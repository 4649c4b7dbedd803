package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * Everything a full validation of a job found: problems with the spec, the model or the runner, and one
 * report per dataset.
 *
 * @param violations problems with the spec, the base model or the runner, each with a JSON pointer
 * @param datasets one report per dataset (training first, then validation)
 * @param notes what was not checked and why (for example: no runner is installed to check the method against)
 */
public record ValidationReport(
        @JsonProperty("violations") List<Violation> violations,
        @JsonProperty("datasets") List<DatasetReport> datasets,
        @JsonProperty("notes") List<String> notes) {

    /** Copies the lists so the record stays immutable. */
    public ValidationReport {
        violations = List.copyOf(violations);
        datasets = List.copyOf(datasets);
        notes = List.copyOf(notes);
    }

    /** @return true when nothing stops the job from running */
    @JsonProperty("valid")
    public boolean valid() {
        return violations.isEmpty() && datasets.stream().allMatch(DatasetReport::valid);
    }
}
