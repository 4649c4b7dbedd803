package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.stream.Collectors;

/**
 * What the approval gate decided for a checkpoint and an approver: every rule of the policy that applies to the
 * checkpoint's tenant, whether it passed, and why. Approving is allowed when every rule passed (or when no rule
 * applies).
 *
 * @param checkpointId the checkpoint
 * @param actor who would approve it
 * @param allowed whether every rule passed
 * @param rules each rule checked, in the policy's order
 */
public record ApprovalVerdict(@JsonProperty("checkpoint_id") String checkpointId,
        @JsonProperty("actor") String actor, @JsonProperty("allowed") boolean allowed,
        @JsonProperty("rules") List<Rule> rules) {

    /** Copies the list so the record stays immutable. */
    public ApprovalVerdict {
        rules = rules == null ? List.of() : List.copyOf(rules);
    }

    /**
     * @param checkpointId the checkpoint
     * @param actor who would approve it
     * @param rules each rule checked
     * @return the verdict: allowed when every rule passed
     */
    public static ApprovalVerdict of(String checkpointId, String actor, List<Rule> rules) {
        return new ApprovalVerdict(checkpointId, actor, rules.stream().allMatch(Rule::passed), rules);
    }

    /** @return the rules that failed */
    @JsonIgnore
    public List<Rule> failed() {
        return rules.stream().filter(r -> !r.passed()).toList();
    }

    /** @return one line per failed rule, {@code rule: detail}, joined with "; " */
    @JsonIgnore
    public String failures() {
        return failed().stream().map(r -> r.name() + ": " + r.detail()).collect(Collectors.joining("; "));
    }

    /**
     * One rule of an approval policy, checked.
     *
     * @param name the rule as the policy names it, for example {@code min.eval_mean_token_accuracy}
     * @param passed whether it passed
     * @param detail what was compared, in words, for example {@code eval_loss 1.92 > 1.80}
     */
    public record Rule(@JsonProperty("rule") String name, @JsonProperty("passed") boolean passed,
            @JsonProperty("detail") String detail) {
    }
}
