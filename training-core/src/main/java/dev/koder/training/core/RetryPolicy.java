package dev.koder.training.core;

import dev.koder.training.api.FailureCause;
import dev.koder.training.api.WireName;
import dev.koder.training.spi.PluginConfig;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * Which failed attempts the service retries on its own, from the job's last checkpoint, and how often. The
 * defaults: 2 retries, after 30 s and then 60 s, for the causes the cause table ({@code failure-causes.json})
 * marks {@code default}: a trainer killed by a signal with no out-of-memory evidence ({@code killed}) and a
 * launch fault ({@code launch_failed}). The ones it marks {@code never} (invalid data, a trainer error about its
 * input or configuration, NaN loss, a timeout, a spent quota) cannot be retried. Set per home in
 * {@code training.properties} ({@value #MAX_PROPERTY}, {@value #BACKOFF_PROPERTY}, {@value #CAUSES_PROPERTY}),
 * and per job by {@code resources.max_retries}.
 *
 * @param maxRetries retries of one job, at most
 * @param backoff the wait before the first retry; it doubles for each further one
 * @param transientCauses the causes that are retried
 */
public record RetryPolicy(int maxRetries, Duration backoff, Set<FailureCause> transientCauses) {

    /** Home property: retries of one job ({@code 0} turns retrying off). */
    public static final String MAX_PROPERTY = "training.retry.max";
    /** Home property: the first wait, an ISO-8601 duration such as {@code PT30S}. */
    public static final String BACKOFF_PROPERTY = "training.retry.backoff";
    /** Home property: the causes retried, by wire name, comma-separated. */
    public static final String CAUSES_PROPERTY = "training.retry.causes";
    /** Causes that can never be retried (the cause table's {@code never}): the same input would fail the same way. */
    static final Set<FailureCause> NEVER = Collections.unmodifiableSet(CauseTable.get().causes(CauseTable.Retry.NEVER));
    /** The default policy: the cause table's {@code default} causes. */
    public static final RetryPolicy DEFAULT = new RetryPolicy(2, Duration.ofSeconds(30),
            CauseTable.get().causes(CauseTable.Retry.DEFAULT));

    /** Checks the values and copies the set. */
    public RetryPolicy {
        if (maxRetries < 0 || maxRetries > 10) {
            throw new IllegalArgumentException("retries must be 0 to 10, got " + maxRetries);
        }
        if (backoff == null || backoff.isNegative()) {
            throw new IllegalArgumentException("the retry backoff must be a duration of 0 or more, got " + backoff);
        }
        transientCauses = transientCauses.isEmpty() ? Set.of()
                : Collections.unmodifiableSet(EnumSet.copyOf(transientCauses));
        for (FailureCause c : transientCauses) {
            if (NEVER.contains(c)) {
                throw new IllegalArgumentException(c.wireName() + " cannot be retried: the same input fails the "
                        + "same way");
            }
        }
    }

    /**
     * @param config the home's settings
     * @return the default policy with what they set
     * @throws IllegalArgumentException naming the property with a bad value
     */
    static RetryPolicy of(PluginConfig config) {
        int max = (int) config.whole(MAX_PROPERTY, DEFAULT.maxRetries, 0, 10);
        Duration backoff = config.duration(BACKOFF_PROPERTY, DEFAULT.backoff);
        Set<FailureCause> causes = DEFAULT.transientCauses;
        String c = config.text(CAUSES_PROPERTY).orElse(null);
        if (c != null) {
            EnumSet<FailureCause> set = EnumSet.noneOf(FailureCause.class);
            for (String name : c.split(",")) {
                if (!name.isBlank()) {
                    try {
                        set.add(WireName.parse(FailureCause.class, name.trim()));
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException(CAUSES_PROPERTY + ": unknown cause '" + name.trim() + "'");
                    }
                }
            }
            causes = set;
        }
        try {
            return new RetryPolicy(max, backoff, causes);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("retry policy in training.properties: " + e.getMessage(), e);
        }
    }

    /**
     * @param cause why the attempt failed
     * @param retriesSoFar the job's automatic retries so far
     * @param jobMax the job's own limit ({@code resources.max_retries}), or null for this policy's
     * @return the wait before the retry, or empty when the job is not retried
     */
    Optional<Duration> retryAfter(FailureCause cause, int retriesSoFar, Integer jobMax) {
        int max = jobMax != null ? jobMax : maxRetries;
        if (!transientCauses.contains(cause) || retriesSoFar >= max) {
            return Optional.empty();
        }
        return Optional.of(backoff.multipliedBy(1L << Math.min(retriesSoFar, 20)));
    }

    /** @param jobMax the job's own limit, or null @return the retries a job gets */
    int limit(Integer jobMax) {
        return jobMax != null ? jobMax : maxRetries;
    }
}
