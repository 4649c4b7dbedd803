package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;
import java.util.Optional;

/**
 * How a finished job's estimate compared with what it measured: wall time (from its first start to its end, loading
 * included, as the estimate counts it), throughput (tokens/s over its training) and peak memory (the trainer's
 * peak GPU memory; absent on a CPU). Each ratio is measured / estimated: above 1, the estimate was low.
 *
 * @param jobId the job
 * @param method its method label, for example {@code sft+lora}
 * @param runner its runner
 * @param device the device the estimate was for ({@code H100}, {@code cpu})
 * @param estimatedWallSeconds the estimate's wall time
 * @param wallSeconds the measured wall time
 * @param estimatedTokensPerSecond the estimate's throughput
 * @param tokensPerSecond the measured throughput, or null when the trainer reported none
 * @param estimatedPeakGib the estimate's peak memory per GPU (or host)
 * @param peakGib the measured peak GPU memory, or null when not measured (a CPU job)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record EstimateCheck(
        @JsonProperty("job_id") String jobId,
        @JsonProperty("method") String method,
        @JsonProperty("runner") String runner,
        @JsonProperty("device") String device,
        @JsonProperty("estimated_wall_seconds") double estimatedWallSeconds,
        @JsonProperty("wall_seconds") double wallSeconds,
        @JsonProperty("estimated_tokens_per_second") double estimatedTokensPerSecond,
        @JsonProperty("tokens_per_second") Double tokensPerSecond,
        @JsonProperty("estimated_peak_gib") double estimatedPeakGib,
        @JsonProperty("peak_gib") Double peakGib) {

    /**
     * @param job a job
     * @return its check, when it succeeded with an estimate and its start and end times
     */
    public static Optional<EstimateCheck> of(Job job) {
        CostEstimate e = job.estimate();
        if (job.status() != JobStatus.SUCCEEDED || e == null || job.startedAt() == null || job.finishedAt() == null) {
            return Optional.empty();
        }
        double wall = Duration.between(job.startedAt(), job.finishedAt()).toMillis() / 1000.0;
        Double peak = job.progress().gpuMemoryGib() != null && job.progress().gpuMemoryGib() > 0
                && e.gpus() > 0 ? job.progress().gpuMemoryGib() : null;
        return Optional.of(new EstimateCheck(job.id(), job.spec().method().label(), job.runner(), e.device(),
                e.wallSeconds(), wall, e.tokensPerSecond(), job.progress().tokensPerSecond(),
                e.memory() == null ? 0 : e.memory().total(), peak));
    }

    /** @return measured / estimated wall time */
    public double wallRatio() {
        return wallSeconds / Math.max(estimatedWallSeconds, 1e-9);
    }

    /** @return measured / estimated throughput, when measured */
    public Optional<Double> throughputRatio() {
        return Optional.ofNullable(tokensPerSecond).map(t -> t / Math.max(estimatedTokensPerSecond, 1e-9));
    }

    /** @return measured / estimated peak memory, when measured */
    public Optional<Double> memoryRatio() {
        return Optional.ofNullable(peakGib).map(p -> p / Math.max(estimatedPeakGib, 1e-9));
    }
}
