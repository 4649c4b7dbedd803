package dev.koder.training.scheduler;

import dev.koder.training.api.GpuNode;
import dev.koder.training.api.Tier;
import dev.koder.training.api.Violation;
import dev.koder.training.scheduler.GpuPool.NodeState;
import dev.koder.training.scheduler.Queues.Level;
import dev.koder.training.scheduler.Queues.Pending;
import dev.koder.training.scheduler.Reservations.Reservation;
import dev.koder.training.scheduler.WaitReasons.Kind;
import dev.koder.training.scheduler.WaitReasons.Wait;
import dev.koder.training.spi.JobScheduler;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Shares a GPU pool among tenants in three tiers.
 *
 * <ul>
 *   <li>Enterprise jobs before pro before free. Within a tier, tenants take turns (round-robin), and each
 *       tenant's jobs go first come, first served, so one tenant's thousand jobs do not block another tenant's
 *       first.
 *   <li>A job gets all its GPUs on one node (gang), of its type, each with at least the memory it needs, or
 *       waits. Among the nodes that fit, the one with the fewest free GPUs is taken (best fit).
 *   <li>Tenants can be limited to a number of running jobs.
 *   <li>When the next job in line of a level (promoted, enterprise, pro, free) cannot start, GPUs are reserved
 *       for it on a node for the earliest time they free up, and later jobs start now only if they delay none
 *       of the reservations (backfill): they end before them, or use other GPUs. Runtimes come from the jobs'
 *       estimates. One reservation per level keeps a large job of a high tier from waiting behind a stream of
 *       small promoted ones.
 *   <li>A job that waited longer than its tier's maximum wait is promoted above every tier (a starvation bound).
 *   <li>Optionally, an enterprise job that cannot start preempts free-tier jobs (they checkpoint, stop and
 *       queue again).
 *   <li>CPU jobs use CPU slots, first come first served by the same order, without touching GPUs.
 * </ul>
 *
 * The parts: {@link Queues} (levels, tenants in rotation, promotion), {@link GpuPool} (nodes, who holds which GPU,
 * when GPUs free up, feasibility, preemption victims), {@link Reservations} (GPUs held for each level's head) and
 * {@link WaitReasons} (the words); this class makes the pass that decides.
 *
 * Not thread-safe: the service calls it from one thread at a time.
 */
public final class TierScheduler implements JobScheduler {

    /** The scheduler's settings. */
    public record Config(Map<Tier, Duration> maxWait, Map<String, Integer> tenantLimits, int defaultTenantLimit,
            int backfillDepth, boolean preemption) {

        /** Copies the maps so the record stays immutable. */
        public Config {
            maxWait = Map.copyOf(maxWait);
            tenantLimits = Map.copyOf(tenantLimits);
        }

        /** @return free jobs promoted after 24 h, pro after 12 h; no tenant limit; backfill depth 100; no preemption */
        public static Config defaults() {
            return new Config(Map.of(Tier.FREE, Duration.ofHours(24), Tier.PRO, Duration.ofHours(12)), Map.of(),
                    Integer.MAX_VALUE, 100, false);
        }

        int limit(String tenant) {
            return tenantLimits.getOrDefault(tenant, defaultTenantLimit);
        }
    }

    private final Config config;
    private final Queues queues = new Queues();
    private final GpuPool pool = new GpuPool();
    private final Reservations held = new Reservations(pool);
    private long decisions;
    private long looked;
    /** Whether any tenant is limited, so passes skip the lookup when none is. */
    private final boolean limited;

    /** @param config the settings */
    public TierScheduler(Config config) {
        this.config = config;
        this.limited = config.defaultTenantLimit() != Integer.MAX_VALUE || !config.tenantLimits().isEmpty();
    }

    @Override
    public String name() {
        return "tiers";
    }

    /** @return how many times {@link #schedule} ran, for benchmarks */
    public long decisions() {
        return decisions;
    }

    /** @return how many queued jobs the passes looked at in all, for benchmarks */
    public long looked() {
        return looked;
    }

    @Override
    public void pool(List<GpuNode> nodes, int slots) {
        pool.pool(nodes, slots);
    }

    @Override
    public List<Violation> check(Request r) {
        return pool.check(r);
    }

    @Override
    public void enqueue(Request r) {
        if (queues.contains(r.jobId()) || pool.isRunning(r.jobId())) {
            return;
        }
        queues.add(r);
    }

    @Override
    public void dequeue(String jobId) {
        queues.remove(jobId);
    }

    @Override
    public void release(String jobId) {
        pool.release(jobId);
    }

    @Override
    public void running(Request request, Allocation allocation, Instant startedAt) {
        dequeue(request.jobId());
        pool.take(request, allocation, startedAt.plus(request.expectedRuntime()));
    }

    @Override
    public Decision schedule(Instant now) {
        decisions++;
        queues.promote(now, config.maxWait());
        Pass pass = new Pass(now);
        for (Level level : Level.values()) {
            if (!pass.level(level)) {
                break;
            }
        }
        for (Pending p : pass.started) {
            queues.started(p);
        }
        return pass.starts.isEmpty() && pass.preemptions.isEmpty() ? Decision.NONE
                : new Decision(pass.starts, pass.preemptions);
    }

    /**
     * One scheduling pass. Levels are looked at highest first; in each, the first job that cannot start reserves
     * GPUs (on a node no higher level reserved), so every level's head makes progress, and a job starts now only
     * where it delays none of the reservations made so far.
     */
    private final class Pass {
        final Instant now;
        final List<Start> starts = new ArrayList<>();
        final List<Pending> started = new ArrayList<>();
        final List<Preemption> preemptions = new ArrayList<>();
        final List<Reservation> reservations = new ArrayList<>(Level.values().length);
        final int[] higher = new int[Level.values().length];
        boolean cpuBlocked;
        int maxFree = pool.maxFree();

        Pass(Instant now) {
            this.now = now;
            for (Level l : Level.values()) {
                higher[l.ordinal()] = queues.higherThan(l);
            }
            // Reservations stand from pass to pass while their job waits: a node being drained for a big job is
            // not handed to whichever head comes next. Their times are brought up to date.
            for (Iterator<Map.Entry<Level, Reservation>> it = held.standing.entrySet().iterator(); it.hasNext();) {
                Map.Entry<Level, Reservation> e = it.next();
                Pending waiting = queues.get(e.getValue().jobId());
                Reservation renewed = waiting == null || waiting.level != e.getKey() ? null
                        : held.renew(e.getValue(), waiting.request, now);
                if (renewed == null) {
                    it.remove();
                } else {
                    e.setValue(renewed);
                    reservations.add(renewed);
                }
            }
        }

        /** @return false when nothing more can start in this pass, so lower levels need no look */
        boolean level(Level level) {
            Iterator<Pending> order = queues.order(level);
            Reservation mine = null;
            int examined = 0;
            int visited = 0;
            int cap = Math.max(1000, 4 * config.backfillDepth());
            int ahead = higher[level.ordinal()];
            while (order.hasNext() && visited++ < cap) {
                if (pool.totalFree == 0 && (cpuBlocked || !pool.cpuFree())) {
                    return false; // later jobs keep the reasons they had
                }
                Pending p = order.next();
                looked++;
                Request r = p.request;
                int before = ahead++;
                if (limited && pool.runningOf(r.tenant()) >= config.limit(r.tenant())) {
                    p.wait = new Wait(Kind.TENANT_LIMIT, before, level, null, null);
                    continue;
                }
                if (r.gpus() == 0) {
                    if (!cpuBlocked && pool.cpuFree()) {
                        start(p, new Allocation("local", List.of()), now, starts, started);
                    } else {
                        cpuBlocked = true;
                        p.wait = new Wait(Kind.CPU_BUSY, before, level, null, null);
                    }
                    continue;
                }
                // Cheap tests first: most of a deep queue cannot start, and place() looks at nodes.
                Allocation a = r.gpus() <= maxFree && r.gpus() <= pool.totalFree - heldFrom(r) ? place(r) : null;
                if (a != null) {
                    start(p, a, now, starts, started);
                    maxFree = pool.maxFree();
                    continue;
                }
                if (mine == null) {
                    Reservation standingOne = held.standing.get(level);
                    if (standingOne != null && standingOne.jobId().equals(r.jobId())) {
                        mine = standingOne;
                    } else {
                        if (standingOne != null) {
                            reservations.remove(standingOne); // the level has a new head
                            held.standing.remove(level);
                        }
                        mine = held.reserve(r, now, level, reservations);
                        if (mine.node() == null) {
                            // Only a node held for a lower level could ever hold it: the higher level takes it.
                            List<Reservation> higherOnes = reservations.stream()
                                    .filter(x -> x.level().ordinal() <= level.ordinal()).toList();
                            mine = held.reserve(r, now, level, higherOnes);
                            NodeState node = mine.node();
                            if (node != null) {
                                reservations.removeIf(x -> x.node() == node);
                                held.standing.values().removeIf(x -> x.node() == node);
                            }
                        }
                        if (mine.node() != null) {
                            reservations.add(mine);
                            held.standing.put(level, mine);
                            if (!mine.at().isAfter(now) && (a = place(r)) != null) {
                                // It took over GPUs that are free now: it starts at once.
                                reservations.remove(mine);
                                held.standing.remove(level);
                                mine = null;
                                start(p, a, now, starts, started);
                                maxFree = pool.maxFree();
                                continue;
                            }
                        }
                    }
                    if (config.preemption() && (level == Level.ENTERPRISE || level == Level.PROMOTED)) {
                        pool.preemptFor(r, preemptions);
                    }
                    p.wait = mine.node() == null && !reservations.isEmpty()
                            ? new Wait(Kind.HELD, before, level, reservations.get(0).jobId(),
                                    reservations.get(0).at())
                            : new Wait(Kind.GPUS, before, level, null, mine.at());
                } else if (mine.node() == null && !reservations.isEmpty()) {
                    p.wait = new Wait(Kind.HELD, before, level, reservations.get(0).jobId(),
                            reservations.get(0).at());
                } else {
                    p.wait = new Wait(Kind.HELD, before, level, mine.jobId(), mine.at());
                }
                if (++examined >= config.backfillDepth()) {
                    break;
                }
                if (queues.smallest(level) > Math.min(maxFree, pool.totalFree)) {
                    break; // no job left in this level is small enough for the GPUs still free
                }
            }
            return true;
        }

        /** @return free GPUs that reservations hold against this job (it does not end before them) */
        int heldFrom(Request r) {
            int heldGpus = 0;
            for (Reservation x : reservations) {
                if (!x.jobId().equals(r.jobId()) && !Reservations.endsBefore(r, now, x)) {
                    heldGpus += Reservations.reservedFree(x);
                }
            }
            return heldGpus;
        }

        /**
         * GPUs for a job now: the best-fitting node with enough free GPUs of its type and memory, leaving alone
         * the GPUs of every reservation it does not end before.
         */
        Allocation place(Request r) {
            NodeState best = null;
            int bestFree = Integer.MAX_VALUE;
            for (int k = pool.withFree.nextSetBit(0); k >= 0; k = pool.withFree.nextSetBit(k + 1)) {
                NodeState n = pool.nodes.get(k);
                if (n.free < r.gpus() || n.free >= bestFree) {
                    continue;
                }
                int available = usable(n, r, null);
                if (available >= r.gpus() && available < bestFree) {
                    best = n;
                    bestFree = available;
                    if (available == r.gpus()) {
                        break; // an exact fit leaves no fragment; no node can do better
                    }
                }
            }
            if (best == null) {
                return null;
            }
            List<Integer> gpus = new ArrayList<>(r.gpus());
            usable(best, r, gpus);
            return new Allocation(best.name, gpus);
        }

        /** Counts the GPUs of a node a job may take now, and collects as many as it needs into {@code into}. */
        int usable(NodeState n, Request r, List<Integer> into) {
            Reservation blocking = null;
            for (Reservation x : reservations) {
                if (x.node() == n && !x.jobId().equals(r.jobId()) && !Reservations.endsBefore(r, now, x)) {
                    blocking = x; // reservations are on distinct nodes
                }
            }
            int available = 0;
            for (int i = 0; i < n.holder.length; i++) {
                if (n.holder[i] != null || !n.fits(i, r) || blocking != null && blocking.gpus().contains(i)) {
                    continue;
                }
                available++;
                if (into != null && into.size() < r.gpus()) {
                    into.add(i);
                }
            }
            return available;
        }
    }

    /** Takes the GPUs now; the job leaves the queue after the pass, so the pass's iterators stay valid. */
    private void start(Pending p, Allocation a, Instant now, List<Start> starts, List<Pending> started) {
        queues.leaving(p.request.jobId());
        started.add(p);
        pool.take(p.request, a, now.plus(p.request.expectedRuntime()));
        starts.add(new Start(p.request.jobId(), a));
    }

    @Override
    public Optional<String> reason(String jobId) {
        Pending p = queues.get(jobId);
        if (p == null) {
            return Optional.empty();
        }
        Wait w = p.wait;
        if (w == null) {
            return Optional.of(WaitReasons.queued(p.level, queues.ahead(p)));
        }
        boolean gpus = w.kind() == Kind.GPUS || w.kind() == Kind.HELD;
        return Optional.of(WaitReasons.describe(p.request, w, config.limit(p.request.tenant()), pool.cpuSlots,
                gpus ? pool.bestFreeFor(p.request) : 0));
    }
}
