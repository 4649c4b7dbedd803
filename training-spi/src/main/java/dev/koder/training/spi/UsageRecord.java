package dev.koder.training.spi;

import dev.koder.training.api.JobStatus;
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
 */
public record UsageRecord(String tenant, String jobId, int attempt, String gpuType, int gpus, double gpuSeconds,
        double wallSeconds, long tokens, Instant startedAt, Instant endedAt, JobStatus outcome) {
}
