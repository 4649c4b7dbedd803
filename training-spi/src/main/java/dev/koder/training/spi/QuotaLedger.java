package dev.koder.training.spi;

import dev.koder.training.api.Quotas;
import java.time.Instant;

/**
 * GPU-hour budgets per tenant per calendar month (UTC), and what jobs reserve and use against them: the
 * operator's {@link Quotas}, plus what the service does as jobs are admitted, run and end. Every
 * method is atomic, also across processes sharing the ledger: concurrent reservations never overspend.
 * A tenant without a budget is not limited. The compatibility kit {@code QuotaLedgerCompatibilityKit} in
 * training-tck checks an implementation.
 */
public interface QuotaLedger extends Quotas, AutoCloseable {

    /**
     * Reserves a job's estimated GPU-hours in the month of {@code now}, or refuses.
     *
     * @param tenant who pays
     * @param jobId the job (one reservation per job)
     * @param gpuHours the estimate
     * @param now when
     * @throws dev.koder.training.api.QuotaExceededException with the numbers when the budget cannot cover it
     */
    void reserve(String tenant, String jobId, double gpuHours, Instant now);

    /**
     * Records the GPU-hours one attempt of a job is charged. The figure of an attempt is set, not added: charging
     * the same attempt again (an end whose recording was retried, or decided again after a restart) replaces its
     * figure, so no attempt counts twice. A job's use is the sum of its attempts'. A settled job's attempt is still
     * set (an end decided again after the service died between settling the job and storing its end).
     *
     * @param jobId the job
     * @param attempt the attempt, from 1
     * @param gpuHours charged for it
     */
    void charge(String jobId, int attempt, double gpuHours);

    /**
     * Ends a job's reservation: what it used stays counted, the rest of the reservation is released.
     *
     * @param jobId the job
     */
    void settle(String jobId);

    /** Releases resources. */
    @Override
    void close();
}
