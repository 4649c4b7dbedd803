package dev.koder.training.scheduler;

import dev.koder.training.api.Tier;
import dev.koder.training.spi.JobScheduler.Request;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.TreeSet;

/**
 * The waiting jobs of {@link TierScheduler}: one queue per level (promoted, enterprise, pro, free); in a tier,
 * tenants in rotation and each tenant's jobs oldest first; jobs that waited longer than their tier's maximum moved
 * to the promoted queue; counts of each level's jobs by the GPUs they need, so a pass can stop at a level whose
 * smallest job no longer fits. Not thread-safe.
 */
final class Queues {

    /** Queue levels, highest first. */
    enum Level {
        PROMOTED, ENTERPRISE, PRO, FREE;

        static Level of(Tier tier) {
            return switch (tier) {
                case ENTERPRISE -> ENTERPRISE;
                case PRO -> PRO;
                case FREE -> FREE;
            };
        }

        String label() {
            return this == PROMOTED ? "the promoted queue" : name().toLowerCase(Locale.ROOT);
        }
    }

    static final Comparator<Pending> AGE = Comparator.comparing((Pending p) -> p.request.queuedAt())
            .thenComparing(p -> p.request.jobId());

    /** A queued job. */
    static final class Pending {
        final Request request;
        Level level;
        /** Why it did not start in the last pass that looked at it; null before any did. */
        WaitReasons.Wait wait;

        Pending(Request request) {
            this.request = request;
            this.level = Level.of(request.tier());
        }
    }

    /** One tier: tenants in rotation, each tenant's jobs oldest first. */
    static final class TierQueue {
        final Map<String, TenantQueue> byTenant = new LinkedHashMap<>();
        int size;

        void add(Pending p) {
            byTenant.computeIfAbsent(p.request.tenant(), t -> new TenantQueue()).add(p);
            size++;
        }

        void remove(Pending p) {
            TenantQueue q = byTenant.get(p.request.tenant());
            if (q != null && q.remove(p)) {
                size--;
                if (q.jobs.isEmpty()) {
                    byTenant.remove(p.request.tenant());
                }
            }
        }

        /** Moves a tenant to the end of the rotation after it got a start. */
        void rotate(String tenant) {
            TenantQueue q = byTenant.remove(tenant);
            if (q != null) {
                byTenant.put(tenant, q);
            }
        }
    }

    /** One tenant's queued jobs of a tier, oldest first, with the oldest at hand. */
    static final class TenantQueue {
        final TreeSet<Pending> jobs = new TreeSet<>(AGE);
        Pending head;

        void add(Pending p) {
            jobs.add(p);
            if (head == null || AGE.compare(p, head) < 0) {
                head = p;
            }
        }

        boolean remove(Pending p) {
            boolean removed = jobs.remove(p);
            if (removed && p == head) {
                head = jobs.isEmpty() ? null : jobs.first();
            }
            return removed;
        }
    }

    /** Sizes of queued jobs counted per level: jobs needing 0 .. 64 or more GPUs. */
    static final int SIZES = 65;

    private final Map<Level, TierQueue> tiers = new EnumMap<>(Level.class);
    private final TreeSet<Pending> promoted = new TreeSet<>(AGE);
    private final Map<Tier, TreeSet<Pending>> waitingByAge = new EnumMap<>(Tier.class);
    private final Map<String, Pending> pending = new HashMap<>();
    private final int[][] bySize = new int[Level.values().length][SIZES];

    Queues() {
        for (Level l : Level.values()) {
            if (l != Level.PROMOTED) {
                tiers.put(l, new TierQueue());
            }
        }
        for (Tier t : Tier.values()) {
            waitingByAge.put(t, new TreeSet<>(AGE));
        }
    }

    /** @return whether the job is queued */
    boolean contains(String jobId) {
        return pending.containsKey(jobId);
    }

    /** @return the queued job, or null */
    Pending get(String jobId) {
        return pending.get(jobId);
    }

    /** Queues a job at its tier's level. */
    void add(Request r) {
        Pending p = new Pending(r);
        pending.put(r.jobId(), p);
        tiers.get(p.level).add(p);
        waitingByAge.get(r.tier()).add(p);
        count(p, 1);
    }

    /** Takes a job out of the queue (dequeued, or started after a pass); false when it was not queued. */
    boolean remove(String jobId) {
        Pending p = pending.remove(jobId);
        if (p == null) {
            return false;
        }
        unlink(p);
        return true;
    }

    /** Takes a job out of its level's structures. */
    private void unlink(Pending p) {
        count(p, -1);
        if (p.level == Level.PROMOTED) {
            promoted.remove(p);
        } else {
            tiers.get(p.level).remove(p);
            waitingByAge.get(p.request.tier()).remove(p);
        }
    }

    /**
     * Marks a job as started in the pass under way: later lookups no longer find it, but it stays in the queue's
     * structures (the pass's iterators stay valid) until {@link #started} removes it.
     */
    void leaving(String jobId) {
        pending.remove(jobId);
    }

    /** After a pass: takes the started job out of its queue and moves its tenant to the end of the rotation. */
    void started(Pending p) {
        unlink(p);
        if (p.level != Level.PROMOTED) {
            tiers.get(p.level).rotate(p.request.tenant());
        }
    }

    /** Jobs that waited longer than their tier's maximum go above every tier. */
    void promote(Instant now, Map<Tier, Duration> maxWait) {
        for (Map.Entry<Tier, Duration> limit : maxWait.entrySet()) {
            TreeSet<Pending> tier = waitingByAge.get(limit.getKey());
            while (!tier.isEmpty()
                    && Duration.between(tier.first().request.queuedAt(), now).compareTo(limit.getValue()) >= 0) {
                Pending due = tier.pollFirst();
                tiers.get(due.level).remove(due);
                count(due, -1);
                due.level = Level.PROMOTED;
                count(due, 1);
                promoted.add(due);
            }
        }
    }

    /** @return a level's jobs in the order they are offered GPUs */
    Iterator<Pending> order(Level level) {
        return level == Level.PROMOTED ? promoted.iterator() : roundRobin(tiers.get(level));
    }

    /** @return jobs queued in the levels above this one */
    int higherThan(Level level) {
        int n = 0;
        for (Level l : Level.values()) {
            if (l.ordinal() >= level.ordinal()) {
                break;
            }
            n += size(l);
        }
        return n;
    }

    /** @return jobs queued in a level */
    int size(Level level) {
        return level == Level.PROMOTED ? promoted.size() : tiers.get(level).size;
    }

    /** @return jobs ahead of a queued job that has not been looked at yet: higher levels, then its own */
    int ahead(Pending p) {
        return higherThan(p.level) + (p.level == Level.PROMOTED ? promoted.headSet(p).size() : size(p.level) - 1);
    }

    /** @return the fewest GPUs a queued job of the level needs ({@link #SIZES} - 1 stands for that many or more) */
    int smallest(Level level) {
        int[] counts = bySize[level.ordinal()];
        for (int g = 0; g < SIZES; g++) {
            if (counts[g] > 0) {
                return g;
            }
        }
        return Integer.MAX_VALUE;
    }

    private void count(Pending p, int delta) {
        bySize[p.level.ordinal()][Math.min(p.request.gpus(), SIZES - 1)] += delta;
    }

    /** A tier's jobs: each tenant's first, then each tenant's second, and so on, in rotation order. */
    static Iterator<Pending> roundRobin(TierQueue q) {
        List<TenantQueue> tenants = new ArrayList<>(q.byTenant.values());
        List<Iterator<Pending>> rest = new ArrayList<>(tenants.size());
        return new Iterator<>() {
            int t;
            boolean firstRound = true;
            Pending ready;

            @Override
            public boolean hasNext() {
                if (ready != null) {
                    return true;
                }
                if (firstRound) {
                    // Each tenant's oldest job is at hand: the first round makes no iterators.
                    if (t < tenants.size()) {
                        ready = tenants.get(t++).head;
                        return true;
                    }
                    firstRound = false;
                    t = 0;
                }
                int tried = 0;
                while (ready == null && tried < tenants.size()) {
                    if (t == rest.size()) {
                        TenantQueue tq = tenants.get(t);
                        rest.add(limit(tq.jobs.tailSet(tq.head, false).iterator(), 63));
                    }
                    Iterator<Pending> it = rest.get(t);
                    t = (t + 1) % tenants.size();
                    if (it.hasNext()) {
                        ready = it.next();
                        tried = 0;
                    } else {
                        tried++;
                    }
                }
                return ready != null;
            }

            @Override
            public Pending next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                Pending p = ready;
                ready = null;
                return p;
            }
        };
    }

    /** At most n items of an iterator: a tenant's 65th job is not looked at in one pass. */
    private static <T> Iterator<T> limit(Iterator<T> it, int n) {
        return new Iterator<>() {
            int left = n;

            @Override
            public boolean hasNext() {
                return left > 0 && it.hasNext();
            }

            @Override
            public T next() {
                left--;
                return it.next();
            }
        };
    }
}
