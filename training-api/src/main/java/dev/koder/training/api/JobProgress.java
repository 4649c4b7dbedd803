package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;

/**
 * The latest training figures a running job reported. Every value may be null until the trainer reports
 * it.
 *
 * @param step optimiser steps done
 * @param totalSteps optimiser steps planned
 * @param epoch epochs done, fractional
 * @param loss training loss at the last report
 * @param learningRate learning rate at the last report
 * @param gradNorm gradient norm at the last report
 * @param tokens tokens trained so far
 * @param tokensPerSecond training throughput
 * @param gpuMemoryGib peak GPU memory in GiB
 * @param evalMetrics the latest evaluation metrics, for example {@code eval_loss}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JobProgress(
        @JsonProperty("step") Long step,
        @JsonProperty("total_steps") Long totalSteps,
        @JsonProperty("epoch") Double epoch,
        @JsonProperty("loss") Double loss,
        @JsonProperty("learning_rate") Double learningRate,
        @JsonProperty("grad_norm") Double gradNorm,
        @JsonProperty("tokens") Long tokens,
        @JsonProperty("tokens_per_second") Double tokensPerSecond,
        @JsonProperty("gpu_memory_gib") Double gpuMemoryGib,
        @JsonProperty("eval_metrics") Map<String, Double> evalMetrics) {

    /** No figures yet. */
    public static final JobProgress NONE = new JobProgress(null, null, null, null, null, null, null, null, null,
            null);

    /** Copies the metrics so the record stays immutable. */
    public JobProgress {
        evalMetrics = evalMetrics == null ? null : Map.copyOf(evalMetrics);
    }

    /** @return share of steps done, 0 to 1, or -1 when unknown */
    public double fraction() {
        if (step == null || totalSteps == null || totalSteps <= 0) {
            return -1;
        }
        return Math.min(1.0, (double) step / totalSteps);
    }
}
