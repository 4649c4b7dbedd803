package dev.koder.training.spi;

import java.time.Duration;
import java.util.Objects;

/**
 * How long to wait before trying something again: {@code first}, doubling with each try, never more than
 * {@code max}. The one backoff of the service and its plugins (storing an attempt's end, S3 requests, MLflow's
 * sender, following a Slurm job, a cancel racing other writers), each with its own named settings.
 *
 * @param first the wait before the second try
 * @param max the longest wait
 */
public record Backoff(Duration first, Duration max) {

    /** Checks the waits. */
    public Backoff {
        Objects.requireNonNull(first, "first");
        Objects.requireNonNull(max, "max");
        if (first.isNegative() || max.compareTo(first) < 0) {
            throw new IllegalArgumentException("a backoff needs 0 <= first <= max, got " + first + " and " + max);
        }
    }

    /**
     * @param failures how many tries failed so far, from 0 (the wait after the first failure is {@code first})
     * @return the wait before the next try
     */
    public Duration delay(int failures) {
        if (failures < 0) {
            throw new IllegalArgumentException("failures must be 0 or more, got " + failures);
        }
        Duration d = first;
        for (int i = 0; i < failures && d.compareTo(max) < 0; i++) {
            d = d.multipliedBy(2);
        }
        return d.compareTo(max) > 0 ? max : d;
    }

    /**
     * @param failures how many tries failed so far
     * @return a wait between half of {@link #delay} and all of it, at random: callers that failed together do not
     *     all try again at the same moment
     */
    public Duration jittered(int failures) {
        long full = delay(failures).toMillis();
        return Duration.ofMillis(full / 2 + java.util.concurrent.ThreadLocalRandom.current().nextLong(full / 2 + 1));
    }

    /**
     * Sleeps for {@link #delay}.
     *
     * @param failures how many tries failed so far
     * @throws InterruptedException when interrupted while waiting
     */
    public void sleep(int failures) throws InterruptedException {
        Thread.sleep(delay(failures).toMillis());
    }
}
