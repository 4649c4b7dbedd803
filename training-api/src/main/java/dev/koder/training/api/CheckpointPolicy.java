package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * When the trainer saves checkpoints, how many it keeps, and which becomes the job's output.
 *
 * @param everySteps save every N optimiser steps, 1 to 10,000,000; at the end of each epoch when null
 * @param keepLast intermediate checkpoints kept on disk, 1 to 100; default 2
 * @param select which weights become the output: the last step's (default), or the best evaluated
 * @param metric with {@link CheckpointSelection#BEST}: the evaluation metric that decides (default
 *     {@value #DEFAULT_METRIC}); lower is better for a loss, higher for any other
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CheckpointPolicy(
        @JsonProperty("every_steps") Integer everySteps, @JsonProperty("keep_last") Integer keepLast,
        @JsonProperty("select") CheckpointSelection select, @JsonProperty("metric") String metric) {

    /** The metric a best checkpoint is chosen by unless the spec names another. */
    public static final String DEFAULT_METRIC = "eval_loss";
    /** The evaluation metrics a best checkpoint can be chosen by, for each objective the trainers evaluate. */
    static final java.util.Map<Objective, List<String>> METRICS = java.util.Map.of(
            Objective.SFT, List.of("eval_loss", "eval_mean_token_accuracy"),
            Objective.DPO, List.of("eval_loss", "eval_rewards/accuracies", "eval_rewards/margins"));

    /**
     * @param everySteps save every N optimiser steps; at the end of each epoch when null
     * @param keepLast intermediate checkpoints kept
     */
    public CheckpointPolicy(Integer everySteps, Integer keepLast) {
        this(everySteps, keepLast, null, null);
    }

    /** @param steps save every N steps @param keepLast checkpoints kept @return the policy */
    public static CheckpointPolicy everySteps(int steps, int keepLast) {
        return new CheckpointPolicy(steps, keepLast);
    }

    /** @param keepLast checkpoints kept @return save at the end of each epoch */
    public static CheckpointPolicy perEpoch(int keepLast) {
        return new CheckpointPolicy(null, keepLast);
    }

    /**
     * @param metric the evaluation metric that decides, for example {@code eval_loss}
     * @return this policy with the best evaluated checkpoint as the output
     */
    public CheckpointPolicy bestBy(String metric) {
        return new CheckpointPolicy(everySteps, keepLast, CheckpointSelection.BEST, metric);
    }

    /** @return whether the output is the best evaluated checkpoint rather than the last step */
    @JsonIgnore
    public boolean best() {
        return select == CheckpointSelection.BEST;
    }

    /** @return whether a lower value of the metric is better (a loss) */
    @JsonIgnore
    public boolean lowerIsBetter() {
        return metric != null && lowerIsBetter(metric);
    }

    /**
     * @param metric an evaluation metric's name
     * @return whether a lower value is better: a loss ({@code eval_loss}); every other metric (accuracy, NDCG,
     *     reward margin) is better higher
     */
    public static boolean lowerIsBetter(String metric) {
        return metric.endsWith("loss");
    }

    CheckpointPolicy resolved() {
        return new CheckpointPolicy(everySteps, keepLast == null ? 2 : keepLast,
                select == null ? CheckpointSelection.LAST : select,
                select == CheckpointSelection.BEST && metric == null ? DEFAULT_METRIC : metric);
    }

    void check(Checks c, String at) {
        c.between(Checks.at(at, "every_steps"), everySteps, 1, Hyperparameters.MAX_STEPS);
        c.between(Checks.at(at, "keep_last"), keepLast, 1, 100);
        if (metric != null && select != CheckpointSelection.BEST) {
            c.add(Checks.at(at, "metric"), "only applies with select best");
        }
    }

    /** The rules across fields: a best checkpoint needs evaluations, of a metric the job's objective reports. */
    void check(Checks c, String at, Objective objective, boolean validation) {
        if (select != CheckpointSelection.BEST || objective == null) {
            return;
        }
        List<String> known = METRICS.get(objective);
        if (known == null) {
            c.add(Checks.at(at, "select"), "best is not offered for objective " + objective.wireName() + " yet: its "
                    + "output is the last step (its retrieval scores before and after are in the job's events)");
            return;
        }
        if (!validation) {
            c.add(Checks.at(at, "select"), "best needs validation_data: the checkpoints are evaluated on it at "
                    + "every save");
        }
        String m = metric == null ? DEFAULT_METRIC : metric;
        if (!known.contains(m)) {
            c.add(Checks.at(at, "metric"), "must be one of " + String.join(", ", known) + " for objective "
                    + objective.wireName() + ", got " + m);
        }
    }
}
