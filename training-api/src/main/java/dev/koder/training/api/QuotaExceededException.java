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
        super("Tenant " + tenant + "'s GPU-hour budget is exceeded: the job needs " + hours(needed) + " GPU-h; "
                + hours(Math.max(0, remaining)) + " of " + hours(budget) + " left in " + period + ".", true);
        this.tenant = tenant;
        this.needed = needed;
        this.remaining = remaining;
        this.budget = budget;
        this.period = period;
    }

    /** Hours with enough digits to tell small figures apart: 3.20, 0.056, 0.0056. */
    static String hours(double h) {
        return String.format(Locale.ROOT, h >= 1 || h == 0 ? "%.2f" : h >= 0.01 ? "%.3f" : "%.4f", h);
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
