package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * When the trainer saves checkpoints and how many it keeps.
 *
 * @param everySteps save every N optimiser steps, 1 to 10,000,000; at the end of each epoch when null
 * @param keepLast intermediate checkpoints kept on disk, 1 to 100; default 2
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CheckpointPolicy(
        @JsonProperty("every_steps") Integer everySteps, @JsonProperty("keep_last") Integer keepLast) {

    /** @param steps save every N steps @param keepLast checkpoints kept @return the policy */
    public static CheckpointPolicy everySteps(int steps, int keepLast) {
        return new CheckpointPolicy(steps, keepLast);
    }

    /** @param keepLast checkpoints kept @return save at the end of each epoch */
    public static CheckpointPolicy perEpoch(int keepLast) {
        return new CheckpointPolicy(null, keepLast);
    }

    CheckpointPolicy resolved() {
        return keepLast == null ? new CheckpointPolicy(everySteps, 2) : this;
    }

    void check(Checks c, String at) {
        c.between(Checks.at(at, "every_steps"), everySteps, 1, Hyperparameters.MAX_STEPS);
        c.between(Checks.at(at, "keep_last"), keepLast, 1, 100);
    }
}
