package dev.koder.training.api;

import java.util.Locale;

/**
 * A tenant's GPU-hour budget for the period cannot cover a job. Carries the numbers; retriable, since
 * budget frees up as jobs settle and periods turn.
 */
public class QuotaExceededException extends TrainingException {

    private static final long serialVersionUID = 1L;

    private final String tenant;
    private final double needed;
    private final double remaining;
    private final double budget;
    private final String period;

    /**
     * @param tenant the tenant
     * @param needed GPU-hours the job needs
     * @param remaining GPU-hours left in the period
     * @param budget the period's budget
     * @param period the period, for example {@code 2026-11}
     */
    public QuotaExceededException(String tenant, double needed, double remaining, double budget, String period) {
        super(String.format(Locale.ROOT, "Tenant %s's GPU-hour budget is exceeded: the job needs %.2f GPU-h; "
                + "%.2f of %.2f left in %s.", tenant, needed, Math.max(0, remaining), budget, period), true);
        this.tenant = tenant;
        this.needed = needed;
        this.remaining = remaining;
        this.budget = budget;
        this.period = period;
    }

    /** @return the tenant */
    public String tenant() {
        return tenant;
    }

    /** @return GPU-hours the job needs */
    public double needed() {
        return needed;
    }

    /** @return GPU-hours left in the period */
    public double remaining() {
        return remaining;
    }

    /** @return the period's budget in GPU-hours */
    public double budget() {
        return budget;
    }

    /** @return the period, for example 2026-11 */
    public String period() {
        return period;
    }
}
