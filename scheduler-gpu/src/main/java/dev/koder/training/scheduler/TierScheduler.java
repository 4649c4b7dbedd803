package dev.koder.training.scheduler;

import dev.koder.training.api.Tier;
import dev.koder.training.api.Violation;
import dev.koder.training.spi.GpuDevice;
import dev.koder.training.spi.GpuNode;
import dev.koder.training.spi.JobScheduler;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Collectors;

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
 * Not thread-safe: the service calls it from one thread at a time.
 */
public final class TierScheduler implements JobScheduler {

    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm").withZone(ZoneOffset.UTC);

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
        Wait wait;

        Pending(Request request) {
            this.request = request;
            this.level = Level.of(request.tier());
        }
    }

    /** A running job and the GPUs it holds. */
    record Running(Request request, Allocation allocation, Instant expectedEnd) {
    }

    /** A node: its GPUs and which are free. */
    static final class NodeState {
        final String name;
        final List<GpuDevice> devices;
        final String[] holder;
        int free;

        /** Whether every GPU of the node is the same model with the same memory. */
        final boolean uniform;
        /** Its place in the pool's node list. */
        int index;
        /** When each GPU frees up (free ones: {@link Instant#MIN}), sorted; null after the node changed. */
        Instant[] freeAt;

        NodeState(GpuNode node) {
            this.name = node.name();
            this.devices = node.gpus();
            this.holder = new String[devices.size()];
            this.free = devices.size();
            this.uniform = devices.stream().map(d -> d.name() + "@" + d.memoryTotalMib()).distinct().count() <= 1;
        }

        boolean fits(int i, Request r) {
            GpuDevice d = devices.get(i);
            return d.isType(r.gpuType()) && d.memoryGib() + 1e-9 >= r.memoryGib();
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

    private final Config config;
    private final List<NodeState> nodes = new ArrayList<>();
    private final Map<String, NodeState> nodesByName = new HashMap<>();
    private int cpuSlots = 1;
    private int cpuRunning;
    private final Map<Level, TierQueue> queues = new EnumMap<>(Level.class);
    private final TreeSet<Pending> promotedQueue = new TreeSet<>(AGE);
    private final Map<Tier, TreeSet<Pending>> waitingByAge = new EnumMap<>(Tier.class);
    private int totalFree;
    /** {@link #bestFreeFor} by GPU type and memory; cleared whenever a GPU is taken or freed. */
    private final Map<String, Integer> bestFreeByNeed = new HashMap<>();
    /** Each level's head that could not start, and the GPUs held for it, kept from pass to pass. */
    private final Map<Level, Reservation> standing = new EnumMap<>(Level.class);
    /** Nodes with at least one free GPU, by index: a full pool is searched in a handful of steps. */
    private final BitSet withFree = new BitSet();
    private final Map<String, Pending> pending = new HashMap<>();
    private final Map<String, Running> running = new HashMap<>();
    private final Map<String, Integer> runningPerTenant = new HashMap<>();
    private final Set<String> preempting = new HashSet<>();
    private long decisions;
    private long looked;
    /** Sizes of queued jobs counted per level: jobs needing 0 .. 64 or more GPUs. */
    private static final int SIZES = 65;
    private final int[][] bySize = new int[Level.values().length][SIZES];
    /** Whether any tenant is limited, so passes skip the lookup when none is. */
    private final boolean limited;

    /** @param config the settings */
    public TierScheduler(Config config) {
        this.config = config;
        this.limited = config.defaultTenantLimit() != Integer.MAX_VALUE || !config.tenantLimits().isEmpty();
        for (Level l : Level.values()) {
            if (l != Level.PROMOTED) {
                queues.put(l, new TierQueue());
            }
        }
        for (Tier t : Tier.values()) {
            waitingByAge.put(t, new TreeSet<>(AGE));
        }
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
    public void pool(List<GpuNode> pool, int slots) {
        this.cpuSlots = Math.max(1, slots);
        this.totalFree = 0;
        bestFreeByNeed.clear();
        Map<String, NodeState> old = new HashMap<>(nodesByName);
        withFree.clear();
        nodes.clear();
        nodesByName.clear();
        for (GpuNode n : pool) {
            NodeState s = new NodeState(n);
            NodeState before = old.get(n.name());
            if (before != null) {
                for (int i = 0; i < s.holder.length && i < before.holder.length; i++) {
                    s.holder[i] = before.holder[i];
                }
            }
            s.free = 0;
            for (String h : s.holder) {
                s.free += h == null ? 1 : 0;
            }
            s.index = nodes.size();
            nodes.add(s);
            nodesByName.put(s.name, s);
            totalFree += s.free;
            withFree.set(s.index, s.free > 0);
        }
    }

    @Override
    public List<Violation> check(Request r) {
        if (r.gpus() == 0) {
            return List.of();
        }
        List<Violation> out = new ArrayList<>();
        if (nodes.isEmpty()) {
            out.add(new Violation("/resources/gpus", "needs " + gpus(r.gpus()) + ", and this service's GPU pool is "
                    + "empty (no NVIDIA GPU found on this host; configure a pool with the property training.gpus, or "
                    + "set gpus to 0 to train on the CPU)"));
            return out;
        }
        boolean typeKnown = nodes.stream().anyMatch(n -> n.devices.stream().anyMatch(d -> d.isType(r.gpuType())));
        if (!typeKnown) {
            out.add(new Violation("/resources/gpu_type", "no GPU of the pool is a " + r.gpuType() + "; it has "
                    + describePool()));
            return out;
        }
        int most = nodes.stream().mapToInt(n -> (int) n.devices.stream().filter(d -> d.isType(r.gpuType())).count())
                .max().orElse(0);
        if (r.gpus() > most) {
            out.add(new Violation("/resources/gpus", "needs " + r.gpus() + " GPUs" + of(r) + " on one node, and the "
                    + "largest node has " + most));
        }
        double biggest = nodes.stream().flatMap(n -> n.devices.stream()).filter(d -> d.isType(r.gpuType()))
                .mapToDouble(GpuDevice::memoryGib).max().orElse(0);
        if (r.memoryGib() > biggest + 1e-9) {
            out.add(new Violation("/resources", String.format(Locale.ROOT, "needs %.1f GiB on each GPU (its "
                    + "min_gpu_memory_gib or its estimated peak), and the largest GPU%s of the pool has %.0f GiB", r.memoryGib(),
                    of(r), biggest)));
        } else if (r.gpus() <= most) {
            int fitting = nodes.stream().mapToInt(n -> {
                int c = 0;
                for (int i = 0; i < n.devices.size(); i++) {
                    c += n.fits(i, r) ? 1 : 0;
                }
                return c;
            }).max().orElse(0);
            if (fitting < r.gpus()) {
                out.add(new Violation("/resources", String.format(Locale.ROOT, "needs %s with %.1f GiB each on one "
                        + "node, and no node has that many", gpus(r.gpus()), r.memoryGib())));
            }
        }
        return out;
    }

    @Override
    public void enqueue(Request r) {
        if (pending.containsKey(r.jobId()) || running.containsKey(r.jobId())) {
            return;
        }
        Pending p = new Pending(r);
        pending.put(r.jobId(), p);
        queues.get(p.level).add(p);
        waitingByAge.get(r.tier()).add(p);
        count(p, 1);
    }

    @Override
    public void dequeue(String jobId) {
        Pending p = pending.remove(jobId);
        if (p != null) {
            remove(p);
        }
    }

    private void remove(Pending p) {
        count(p, -1);
        if (p.level == Level.PROMOTED) {
            promotedQueue.remove(p);
        } else {
            queues.get(p.level).remove(p);
            waitingByAge.get(p.request.tier()).remove(p);
        }
    }

    @Override
    public void release(String jobId) {
        Running r = running.remove(jobId);
        preempting.remove(jobId);
        if (r == null) {
            return;
        }
        runningPerTenant.merge(r.request().tenant(), -1, Integer::sum);
        if (r.request().gpus() == 0) {
            cpuRunning--;
            return;
        }
        NodeState n = nodesByName.get(r.allocation().node());
        if (n != null) {
            n.freeAt = null;
            bestFreeByNeed.clear();
            for (int i : r.allocation().gpus()) {
                if (i < n.holder.length && jobId.equals(n.holder[i])) {
                    n.holder[i] = null;
                    n.free++;
                    totalFree++;
                }
            }
            withFree.set(n.index, n.free > 0);
        }
    }

    @Override
    public void running(Request request, Allocation allocation, Instant startedAt) {
        dequeue(request.jobId());
        take(request, allocation, startedAt.plus(request.expectedRuntime()));
    }

    private void take(Request r, Allocation a, Instant expectedEnd) {
        running.put(r.jobId(), new Running(r, a, expectedEnd));
        runningPerTenant.merge(r.tenant(), 1, Integer::sum);
        if (r.gpus() == 0) {
            cpuRunning++;
            return;
        }
        NodeState n = nodesByName.get(a.node());
        if (n != null) {
            n.freeAt = null;
            bestFreeByNeed.clear();
            for (int i : a.gpus()) {
                if (i < n.holder.length && n.holder[i] == null) {
                    n.holder[i] = r.jobId();
                    n.free--;
                    totalFree--;
                }
            }
            withFree.set(n.index, n.free > 0);
        }
    }

    /** Why a job did not start in the last pass; the words are made only when someone asks. */
    private record Wait(WaitKind kind, int ahead, Level level, String heldFor, Instant at) {
    }

    private enum WaitKind {
        TENANT_LIMIT, CPU_BUSY, GPUS, HELD
    }

    /** A reservation for the first job of a level that cannot start: GPUs on a node from a time on. */
    private record Reservation(String jobId, Level level, NodeState node, Set<Integer> gpus, Instant at) {
    }

    @Override
    public Decision schedule(Instant now) {
        decisions++;
        promote(now);
        Pass pass = new Pass(now);
        for (Level level : Level.values()) {
            if (!pass.level(level)) {
                break;
            }
        }
        for (Pending p : pass.started) {
            remove(p);
            if (p.level != Level.PROMOTED) {
                queues.get(p.level).rotate(p.request.tenant());
            }
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
        int maxFree = maxFree();

        Pass(Instant now) {
            this.now = now;
            for (Level l : Level.values()) {
                higher[l.ordinal()] = higherThan(l);
            }
            // Reservations stand from pass to pass while their job waits: a node being drained for a big job is
            // not handed to whichever head comes next. Their times are brought up to date.
            for (Iterator<Map.Entry<Level, Reservation>> it = standing.entrySet().iterator(); it.hasNext();) {
                Map.Entry<Level, Reservation> e = it.next();
                Pending waiting = pending.get(e.getValue().jobId());
                Reservation renewed = waiting == null || waiting.level != e.getKey() ? null
                        : renew(e.getValue(), waiting.request, now);
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
            Iterator<Pending> order = level == Level.PROMOTED ? promotedQueue.iterator()
                    : roundRobin(queues.get(level));
            Reservation mine = null;
            int examined = 0;
            int visited = 0;
            int cap = Math.max(1000, 4 * config.backfillDepth);
            int ahead = higher[level.ordinal()];
            while (order.hasNext() && visited++ < cap) {
                if (totalFree == 0 && (cpuBlocked || cpuRunning >= cpuSlots)) {
                    return false; // later jobs keep the reasons they had
                }
                Pending p = order.next();
                looked++;
                Request r = p.request;
                int before = ahead++;
                if (limited && runningPerTenant.getOrDefault(r.tenant(), 0) >= config.limit(r.tenant())) {
                    p.wait = new Wait(WaitKind.TENANT_LIMIT, before, level, null, null);
                    continue;
                }
                if (r.gpus() == 0) {
                    if (!cpuBlocked && cpuRunning < cpuSlots) {
                        start(p, new Allocation("local", List.of()), now, starts, started);
                    } else {
                        cpuBlocked = true;
                        p.wait = new Wait(WaitKind.CPU_BUSY, before, level, null, null);
                    }
                    continue;
                }
                // Cheap tests first: most of a deep queue cannot start, and place() looks at nodes.
                Allocation a = r.gpus() <= maxFree && r.gpus() <= totalFree - heldFrom(r) ? place(r) : null;
                if (a != null) {
                    start(p, a, now, starts, started);
                    maxFree = maxFree();
                    continue;
                }
                if (mine == null) {
                    Reservation standingOne = standing.get(level);
                    if (standingOne != null && standingOne.jobId().equals(r.jobId())) {
                        mine = standingOne;
                    } else {
                        if (standingOne != null) {
                            reservations.remove(standingOne); // the level has a new head
                            standing.remove(level);
                        }
                        mine = reserve(r, now, level, reservations);
                        if (mine.node() == null) {
                            // Only a node held for a lower level could ever hold it: the higher level takes it.
                            List<Reservation> higherOnes = reservations.stream()
                                    .filter(x -> x.level().ordinal() <= level.ordinal()).toList();
                            mine = reserve(r, now, level, higherOnes);
                            NodeState node = mine.node();
                            if (node != null) {
                                reservations.removeIf(x -> x.node() == node);
                                standing.values().removeIf(x -> x.node() == node);
                            }
                        }
                        if (mine.node() != null) {
                            reservations.add(mine);
                            standing.put(level, mine);
                            if (!mine.at().isAfter(now) && (a = place(r)) != null) {
                                // It took over GPUs that are free now: it starts at once.
                                reservations.remove(mine);
                                standing.remove(level);
                                mine = null;
                                start(p, a, now, starts, started);
                                maxFree = maxFree();
                                continue;
                            }
                        }
                    }
                    if (config.preemption && (level == Level.ENTERPRISE || level == Level.PROMOTED)) {
                        preemptFor(r, preemptions);
                    }
                    p.wait = mine.node() == null && !reservations.isEmpty()
                            ? new Wait(WaitKind.HELD, before, level, reservations.get(0).jobId(),
                                    reservations.get(0).at())
                            : new Wait(WaitKind.GPUS, before, level, null, mine.at());
                } else if (mine.node() == null && !reservations.isEmpty()) {
                    p.wait = new Wait(WaitKind.HELD, before, level, reservations.get(0).jobId(),
                            reservations.get(0).at());
                } else {
                    p.wait = new Wait(WaitKind.HELD, before, level, mine.jobId(), mine.at());
                }
                if (++examined >= config.backfillDepth) {
                    break;
                }
                if (smallest(level) > Math.min(maxFree, totalFree)) {
                    break; // no job left in this level is small enough for the GPUs still free
                }
            }
            return true;
        }

        /** @return free GPUs that reservations hold against this job (it does not end before them) */
        int heldFrom(Request r) {
            int held = 0;
            for (Reservation x : reservations) {
                if (!x.jobId().equals(r.jobId()) && !endsBefore(r, now, x)) {
                    held += reservedFree(x);
                }
            }
            return held;
        }

        /**
         * GPUs for a job now: the best-fitting node with enough free GPUs of its type and memory, leaving alone
         * the GPUs of every reservation it does not end before.
         */
        Allocation place(Request r) {
            NodeState best = null;
            int bestFree = Integer.MAX_VALUE;
            for (int k = withFree.nextSetBit(0); k >= 0; k = withFree.nextSetBit(k + 1)) {
                NodeState n = nodes.get(k);
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
                if (x.node() == n && !x.jobId().equals(r.jobId()) && !endsBefore(r, now, x)) {
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

    private static boolean reservedBy(NodeState n, List<Reservation> taken) {
        for (Reservation x : taken) {
            if (x.node() == n) {
                return true;
            }
        }
        return false;
    }

    /** @return the most free GPUs on one node */
    private int maxFree() {
        int most = 0;
        for (int k = withFree.nextSetBit(0); k >= 0; k = withFree.nextSetBit(k + 1)) {
            most = Math.max(most, nodes.get(k).free);
        }
        return most;
    }

    /** @return free GPUs a reservation holds */
    private static int reservedFree(Reservation reservation) {
        if (reservation == null || reservation.node() == null) {
            return 0;
        }
        int n = 0;
        for (int i : reservation.gpus()) {
            n += reservation.node().holder[i] == null ? 1 : 0;
        }
        return n;
    }

    private static boolean endsBefore(Request r, Instant now, Reservation reservation) {
        return reservation.at() != null && !now.plus(r.expectedRuntime()).isAfter(reservation.at());
    }

    private int higherThan(Level level) {
        int n = 0;
        for (Level l : Level.values()) {
            if (l.ordinal() >= level.ordinal()) {
                break;
            }
            n += l == Level.PROMOTED ? promotedQueue.size() : queues.get(l).size;
        }
        return n;
    }

    /** Takes the GPUs now; the job leaves the queue after the pass, so the pass's iterators stay valid. */
    private void start(Pending p, Allocation a, Instant now, List<Start> starts, List<Pending> started) {
        pending.remove(p.request.jobId());
        started.add(p);
        take(p.request, a, now.plus(p.request.expectedRuntime()));
        starts.add(new Start(p.request.jobId(), a));
    }

    /** Jobs that waited longer than their tier's maximum go above every tier. */
    /** Keeps count of each level's queued jobs by GPUs needed. */
    private void count(Pending p, int delta) {
        bySize[p.level.ordinal()][Math.min(p.request.gpus(), SIZES - 1)] += delta;
    }

    /** @return the fewest GPUs a queued job of the level needs ({@link #SIZES} - 1 stands for that many or more) */
    private int smallest(Level level) {
        int[] counts = bySize[level.ordinal()];
        for (int g = 0; g < SIZES; g++) {
            if (counts[g] > 0) {
                return g;
            }
        }
        return Integer.MAX_VALUE;
    }

    private void promote(Instant now) {
        for (Map.Entry<Tier, Duration> limit : config.maxWait.entrySet()) {
            TreeSet<Pending> tier = waitingByAge.get(limit.getKey());
            while (!tier.isEmpty()
                    && Duration.between(tier.first().request.queuedAt(), now).compareTo(limit.getValue()) >= 0) {
                Pending due = tier.pollFirst();
                queues.get(due.level).remove(due);
                count(due, -1);
                due.level = Level.PROMOTED;
                count(due, 1);
                promotedQueue.add(due);
            }
        }
    }

    /** A tier's jobs: each tenant's first, then each tenant's second, and so on, in rotation order. */
    private static Iterator<Pending> roundRobin(TierQueue q) {
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

    /** The earliest time a job's GPUs free up, from the running jobs' expected ends. */
    /** @return the reservation with its time brought up to date, or null when its node can no longer hold it */
    private Reservation renew(Reservation x, Request r, Instant now) {
        Set<Integer> gpus = new HashSet<>();
        Instant at = readyAt(x.node(), r, now, null, gpus);
        return at == null ? null : new Reservation(x.jobId(), x.level(), x.node(), gpus, at);
    }

    private Reservation reserve(Request r, Instant now, Level level, List<Reservation> taken) {
        NodeState bestNode = null;
        Instant bestAt = null;
        for (NodeState n : nodes) {
            if (reservedBy(n, taken)) {
                continue;
            }
            Instant at = readyAt(n, r, now, bestAt, null);
            if (at != null && (bestAt == null || at.isBefore(bestAt))) {
                bestNode = n;
                bestAt = at;
            }
        }
        if (bestNode == null) {
            return new Reservation(r.jobId(), level, null, Set.of(), null);
        }
        Set<Integer> gpus = new HashSet<>();
        readyAt(bestNode, r, now, null, gpus);
        return new Reservation(r.jobId(), level, bestNode, gpus, bestAt);
    }

    /**
     * When enough of a node's fitting GPUs are free for a job, freeing the soonest-ending jobs first; null when
     * the node can never hold it or not before {@code notAfter}. Collects the GPUs into {@code into}.
     */
    private Instant readyAt(NodeState n, Request r, Instant now, Instant notAfter, Set<Integer> into) {
        int count = n.holder.length;
        if (into == null && n.uniform && count > 0) {
            // The common case, asked once per node per pass: every GPU fits or none does, and when the node's GPUs
            // free up is cached until a job starts or ends there.
            if (count < r.gpus() || !n.fits(0, r)) {
                return null;
            }
            if (n.freeAt == null) {
                n.freeAt = new Instant[count];
                for (int i = 0; i < count; i++) {
                    Running x = n.holder[i] == null ? null : running.get(n.holder[i]);
                    n.freeAt[i] = x == null ? Instant.MIN : x.expectedEnd();
                }
                Arrays.sort(n.freeAt);
            }
            Instant at = n.freeAt[r.gpus() - 1];
            if (!at.isAfter(now)) {
                return now;
            }
            return notAfter != null && !at.isBefore(notAfter) ? null : at;
        }
        Instant[] ends = new Instant[count];
        int fitting = 0;
        int free = 0;
        for (int i = 0; i < count; i++) {
            if (!n.fits(i, r)) {
                continue;
            }
            fitting++;
            if (n.holder[i] == null) {
                free++;
                ends[i] = now;
            } else {
                Running x = running.get(n.holder[i]);
                ends[i] = x == null || x.expectedEnd().isBefore(now) ? now : x.expectedEnd();
            }
        }
        if (fitting < r.gpus()) {
            return null;
        }
        Instant at = now;
        if (free < r.gpus()) {
            Instant[] sorted = new Instant[fitting];
            int k = 0;
            for (Instant e : ends) {
                if (e != null) {
                    sorted[k++] = e;
                }
            }
            Arrays.sort(sorted);
            at = sorted[r.gpus() - 1];
            if (notAfter != null && !at.isBefore(notAfter)) {
                return null;
            }
        }
        if (into != null) {
            // A job's GPUs free together, so take every GPU that is free by then.
            for (int i = 0; i < count; i++) {
                if (ends[i] != null && !ends[i].isAfter(at)) {
                    into.add(i);
                }
            }
        }
        return at;
    }

    /** Free-tier jobs whose GPUs, with the free ones, let an enterprise job start on some node. */
    private void preemptFor(Request r, List<Preemption> out) {
        for (NodeState n : nodes) {
            int free = 0;
            Map<String, Integer> victims = new LinkedHashMap<>();
            for (int i = 0; i < n.devices.size(); i++) {
                if (!n.fits(i, r)) {
                    continue;
                }
                String h = n.holder[i];
                if (h == null) {
                    free++;
                } else if (!preempting.contains(h) && running.get(h) != null
                        && running.get(h).request().tier() == Tier.FREE) {
                    victims.merge(h, 1, Integer::sum);
                }
            }
            if (free >= r.gpus() || free + victims.values().stream().mapToInt(Integer::intValue).sum() < r.gpus()) {
                continue;
            }
            List<String> newestFirst = victims.keySet().stream().sorted(Comparator.comparing(
                    (String id) -> running.get(id).expectedEnd()).reversed()).collect(Collectors.toList());
            int gained = free;
            for (String id : newestFirst) {
                if (gained >= r.gpus()) {
                    break;
                }
                gained += victims.get(id);
                preempting.add(id);
                out.add(new Preemption(id, r.jobId()));
            }
            return;
        }
    }

    private String waitReason(Request r, Wait w) {
        String queue = w.ahead() + " job" + (w.ahead() == 1 ? "" : "s") + " ahead in " + w.level().label()
                + (w.level() == Level.PROMOTED || w.level() == Level.ENTERPRISE ? "" : " or higher tiers");
        switch (w.kind()) {
            case TENANT_LIMIT:
                return "tenant " + r.tenant() + " already runs " + config.limit(r.tenant()) + " jobs, its limit";
            case CPU_BUSY:
                return "all " + cpuSlots + " CPU slot" + (cpuSlots == 1 ? " is" : "s are") + " busy; " + queue;
            default:
                break;
        }
        int bestFree = bestFreeFor(r);
        String need = "needs " + r.gpus() + " x " + (r.gpuType() == null ? "GPU" : r.gpuType())
                + (r.memoryGib() > 0 ? String.format(Locale.ROOT, " (%.0f GiB each)", r.memoryGib()) : "")
                + ", " + bestFree + " free on one node";
        if (w.kind() == WaitKind.HELD) {
            return need + "; " + queue + "; GPUs are held for job " + w.heldFor()
                    + (w.at() == null ? "" : " from " + CLOCK.format(w.at()) + " UTC");
        }
        return need + "; " + queue + (w.at() == null ? "" : "; expected to start by " + CLOCK.format(w.at()) + " UTC");
    }

    /**
     * The most free GPUs on one node that fit a request: the worker asks every queued job's reason after each
     * pass, so it is worked out once per kind of request until a job starts or ends.
     */
    private int bestFreeFor(Request r) {
        return bestFreeByNeed.computeIfAbsent(r.gpuType() + "@" + r.memoryGib(), k -> {
            int best = 0;
            for (NodeState n : nodes) {
                int f = 0;
                for (int i = 0; i < n.devices.size(); i++) {
                    f += n.holder[i] == null && n.fits(i, r) ? 1 : 0;
                }
                best = Math.max(best, f);
            }
            return best;
        });
    }

    @Override
    public Optional<String> reason(String jobId) {
        Pending p = pending.get(jobId);
        if (p == null) {
            return Optional.empty();
        }
        Wait w = p.wait;
        if (w != null) {
            return Optional.of(waitReason(p.request, w));
        }
        int ahead = higherThan(p.level) + (p.level == Level.PROMOTED ? promotedQueue.headSet(p).size()
                : queues.get(p.level).size - 1);
        return Optional.of("queued in " + p.level.label() + " behind " + ahead + " job" + (ahead == 1 ? "" : "s"));
    }

    private String describePool() {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (NodeState n : nodes) {
            for (GpuDevice d : n.devices) {
                counts.merge(d.name(), 1, Integer::sum);
            }
        }
        return counts.entrySet().stream().map(e -> e.getValue() + " x " + e.getKey()).collect(Collectors.joining(", "));
    }

    private static String gpus(int n) {
        return n + " GPU" + (n == 1 ? "" : "s");
    }

    private static String of(Request r) {
        return r.gpuType() == null ? "" : " of type " + r.gpuType();
    }
}
