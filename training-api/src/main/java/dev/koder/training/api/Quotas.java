package dev.koder.training.api;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * GPU-hour budgets per tenant per calendar month (UTC), and what jobs reserved and used against them: what an
 * operator reads and sets. A tenant without a budget is not limited.
 */
public interface Quotas {

    /**
     * Sets a tenant's monthly budget.
     *
     * @param tenant the tenant
     * @param gpuHours GPU-hours per month, at least 0
     * @throws IllegalArgumentException for a negative or non-finite budget, or a tenant no spec could name
     */
    void setBudget(String tenant, double gpuHours);

    /**
     * Removes a tenant's budget: it is no longer limited. What its jobs reserved and used stays recorded.
     *
     * @param tenant the tenant
     * @return whether it had a budget
     */
    boolean clearBudget(String tenant);

    /** @param tenant the tenant @return its monthly budget, if it has one */
    Optional<Double> budget(String tenant);

    /** @return every tenant with a budget or with a reservation in any month, sorted */
    List<String> tenants();

    /** @param jobId a job @return its reservation, if it has one */
    Optional<QuotaEntry> entry(String jobId);

    /**
     * @param tenant the tenant
     * @param now a moment of the month
     * @return the month's budget, reserved (open reservations) and used (charged) GPU-hours
     */
    QuotaUsage usage(String tenant, Instant now);

    /**
     * A job's reservation.
     *
     * @param jobId the job
     * @param tenant who pays
     * @param period the month, for example 2026-11
     * @param reservedGpuHours what was reserved
     * @param usedGpuHours what was charged so far
     * @param settled whether the job ended
     */
    record QuotaEntry(String jobId, String tenant, String period, double reservedGpuHours, double usedGpuHours,
            boolean settled) {
    }

    /**
     * A tenant's month.
     *
     * @param tenant the tenant
     * @param period the month, for example 2026-11
     * @param budgetGpuHours its budget, or null when unlimited
     * @param reservedGpuHours held by jobs that have not ended, beyond what they used
     * @param usedGpuHours charged
     */
    record QuotaUsage(String tenant, String period, Double budgetGpuHours, double reservedGpuHours,
            double usedGpuHours) {

        /** @return GPU-hours still free, or +infinity when unlimited */
        public double remaining() {
            return budgetGpuHours == null ? Double.POSITIVE_INFINITY
                    : budgetGpuHours - reservedGpuHours - usedGpuHours;
        }
    }
}
