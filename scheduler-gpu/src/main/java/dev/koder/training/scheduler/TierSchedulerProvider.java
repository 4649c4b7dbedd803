package dev.koder.training.scheduler;

import dev.koder.training.api.Tier;
import dev.koder.training.api.WireName;
import dev.koder.training.spi.JobScheduler;
import dev.koder.training.spi.JobSchedulerProvider;
import dev.koder.training.spi.PluginConfig;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;

/**
 * Finds {@link TierScheduler} (priority 0, above the built-in slot scheduler). Properties:
 * {@code training.scheduler.max-wait.<tier>} (ISO-8601 duration, {@code none} for no promotion; defaults: free
 * PT24H, pro PT12H), {@code training.scheduler.tenant-limit} and {@code training.scheduler.tenant-limit.<tenant>}
 * (running jobs), {@code training.scheduler.backfill-depth} (default 100), {@code training.scheduler.preemption}
 * (true to let enterprise jobs preempt free-tier ones).
 */
public final class TierSchedulerProvider implements JobSchedulerProvider {

    static final String PREFIX = "training.scheduler.";

    @Override
    public String name() {
        return "tiers";
    }

    @Override
    public JobScheduler create(PluginConfig config) {
        return new TierScheduler(config(config.properties()));
    }

    /**
     * @param properties configuration properties
     * @return the scheduler settings they describe
     * @throws IllegalArgumentException naming a property that cannot be read
     */
    public static TierScheduler.Config config(Map<String, String> properties) {
        TierScheduler.Config d = TierScheduler.Config.defaults();
        Map<Tier, Duration> maxWait = new EnumMap<>(d.maxWait());
        Map<String, Integer> limits = new HashMap<>();
        int defaultLimit = d.defaultTenantLimit();
        int depth = d.backfillDepth();
        boolean preemption = d.preemption();
        for (Map.Entry<String, String> e : properties.entrySet()) {
            String key = e.getKey();
            String value = e.getValue().trim();
            try {
                if (key.startsWith(PREFIX + "max-wait.")) {
                    Tier tier = WireName.parse(Tier.class, key.substring((PREFIX + "max-wait.").length()));
                    if (value.equalsIgnoreCase("none")) {
                        maxWait.remove(tier);
                    } else {
                        maxWait.put(tier, Duration.parse(value));
                    }
                } else if (key.equals(PREFIX + "tenant-limit")) {
                    defaultLimit = positive(value);
                } else if (key.startsWith(PREFIX + "tenant-limit.")) {
                    limits.put(key.substring((PREFIX + "tenant-limit.").length()), positive(value));
                } else if (key.equals(PREFIX + "backfill-depth")) {
                    depth = positive(value);
                } else if (key.equals(PREFIX + "preemption")) {
                    preemption = Boolean.parseBoolean(value);
                }
            } catch (RuntimeException ex) {
                throw new IllegalArgumentException("property " + key + " = \"" + value + "\" cannot be read: "
                        + ex.getMessage(), ex);
            }
        }
        return new TierScheduler.Config(maxWait, limits, defaultLimit, depth, preemption);
    }

    private static int positive(String value) {
        int n = Integer.parseInt(value);
        if (n < 1) {
            throw new IllegalArgumentException("must be at least 1");
        }
        return n;
    }
}
