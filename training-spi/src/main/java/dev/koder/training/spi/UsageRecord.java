package dev.koder.training.spi;

import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Tier;
import java.time.Instant;

/**
 * What one attempt of a job used, for billing.
 *
 * @param tenant who pays
 * @param jobId the job
 * @param attempt which attempt
 * @param gpuType GPU model, or {@code cpu}
 * @param gpus GPUs held
 * @param gpuSeconds GPUs x seconds held (CPU jobs: 0)
 * @param wallSeconds seconds the trainer ran
 * @param tokens tokens trained, as last reported by the trainer
 * @param startedAt when the trainer started
 * @param endedAt when it ended
 * @param outcome the job's status after the attempt
 * @param tier the job's priority tier, or null when unknown
 * @param pricePerGpuHour the home's price of a GPU-hour of this type ({@code training.price.*}), or null when none
 *     is set
 * @param currency the price's currency ({@code training.currency}, USD by default)
 */
public record UsageRecord(String tenant, String jobId, int attempt, String gpuType, int gpus, double gpuSeconds,
        double wallSeconds, long tokens, Instant startedAt, Instant endedAt, JobStatus outcome, Tier tier,
        Double pricePerGpuHour, String currency) {

    /** A record without tier or price, as the first versions made them. */
    public UsageRecord(String tenant, String jobId, int attempt, String gpuType, int gpus, double gpuSeconds,
            double wallSeconds, long tokens, Instant startedAt, Instant endedAt, JobStatus outcome) {
        this(tenant, jobId, attempt, gpuType, gpus, gpuSeconds, wallSeconds, tokens, startedAt, endedAt, outcome,
                null, null, "USD");
    }

    /** @return GPU-hours held: {@code gpuSeconds / 3600} */
    public double gpuHours() {
        return gpuSeconds / 3600.0;
    }

    /** @return what the attempt costs at the price, or null without a price */
    public Double cost() {
        return pricePerGpuHour == null ? null : gpuHours() * pricePerGpuHour;
    }

    /** @return the idempotency key of this attempt's record: the same attempt always has the same key */
    public String key() {
        return "usage/" + jobId + "/" + attempt;
    }
}
