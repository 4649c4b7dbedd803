package dev.koder.training.scheduler;

import dev.koder.training.api.GpuDevice;
import dev.koder.training.api.GpuNode;
import dev.koder.training.api.Tier;
import dev.koder.training.api.Violation;
import dev.koder.training.spi.JobScheduler.Allocation;
import dev.koder.training.spi.JobScheduler.Preemption;
import dev.koder.training.spi.JobScheduler.Request;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The GPUs of {@link TierScheduler}'s pool and who holds them: nodes with their free GPUs, the running jobs with their
 * expected ends, CPU slots; when a node's GPUs free up for a job ({@link #readyAt}), whether a request can ever run
 * ({@link #check}), and which free-tier jobs to preempt for one. Not thread-safe.
 */
final class GpuPool {

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

    final List<NodeState> nodes = new ArrayList<>();
    private final Map<String, NodeState> nodesByName = new HashMap<>();
    /** Nodes with at least one free GPU, by index: a full pool is searched in a handful of steps. */
    final BitSet withFree = new BitSet();
    int totalFree;
    int cpuSlots = 1;
    int cpuRunning;
    private final Map<String, Running> running = new HashMap<>();
    private final Map<String, Integer> runningPerTenant = new HashMap<>();
    private final Set<String> preempting = new HashSet<>();
    /** {@link #bestFreeFor} by GPU type and memory; cleared whenever a GPU is taken or freed. */
    private final Map<String, Integer> bestFreeByNeed = new HashMap<>();

    /** Takes the pool as it is now, keeping which GPUs running jobs hold. */
    void pool(List<GpuNode> pool, int slots) {
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

    /** @return why a request could never run on this pool, empty when it could */
    List<Violation> check(Request r) {
        if (r.gpus() == 0) {
            return List.of();
        }
        List<Violation> out = new ArrayList<>();
        if (nodes.isEmpty()) {
            out.add(new Violation("/resources/gpus", "needs " + WaitReasons.gpus(r.gpus()) + ", and this service's GPU "
                    + "pool is empty (no NVIDIA GPU found on this host; configure a pool with the property training.gpus, "
                    + "or set gpus to 0 to train on the CPU)"));
            return out;
        }
        boolean typeKnown = nodes.stream().anyMatch(n -> n.devices.stream().anyMatch(d -> d.isType(r.gpuType())));
        if (!typeKnown) {
            out.add(new Violation("/resources/gpu_type", "no GPU of the pool is a " + r.gpuType() + "; it has "
                    + describe()));
            return out;
        }
        int most = nodes.stream().mapToInt(n -> (int) n.devices.stream().filter(d -> d.isType(r.gpuType())).count())
                .max().orElse(0);
        if (r.gpus() > most) {
            out.add(new Violation("/resources/gpus", "needs " + r.gpus() + " GPUs" + WaitReasons.of(r) + " on one node, "
                    + "and the largest node has " + most));
        }
        double biggest = nodes.stream().flatMap(n -> n.devices.stream()).filter(d -> d.isType(r.gpuType()))
                .mapToDouble(GpuDevice::memoryGib).max().orElse(0);
        if (r.memoryGib() > biggest + 1e-9) {
            out.add(new Violation("/resources", String.format(Locale.ROOT, "needs %.1f GiB on each GPU (its "
                    + "min_gpu_memory_gib or its estimated peak), and the largest GPU%s of the pool has %.0f GiB",
                    r.memoryGib(), WaitReasons.of(r), biggest)));
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
                        + "node, and no node has that many", WaitReasons.gpus(r.gpus()), r.memoryGib())));
            }
        }
        return out;
    }

    /** @return whether the job holds GPUs or a slot */
    boolean isRunning(String jobId) {
        return running.containsKey(jobId);
    }

    /** @return the running jobs of a tenant */
    int runningOf(String tenant) {
        return runningPerTenant.getOrDefault(tenant, 0);
    }

    /** Gives a job its GPUs (or a CPU slot). */
    void take(Request r, Allocation a, Instant expectedEnd) {
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

    /** Frees a job's GPUs (or its slot). */
    void release(String jobId) {
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

    /** @return whether a CPU slot is free */
    boolean cpuFree() {
        return cpuRunning < cpuSlots;
    }

    /** @return the most free GPUs on one node */
    int maxFree() {
        int most = 0;
        for (int k = withFree.nextSetBit(0); k >= 0; k = withFree.nextSetBit(k + 1)) {
            most = Math.max(most, nodes.get(k).free);
        }
        return most;
    }

    /**
     * When enough of a node's fitting GPUs are free for a job, freeing the soonest-ending jobs first; null when
     * the node can never hold it or not before {@code notAfter}. Collects the GPUs into {@code into}.
     */
    Instant readyAt(NodeState n, Request r, Instant now, Instant notAfter, Set<Integer> into) {
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
    void preemptFor(Request r, List<Preemption> out) {
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

    /**
     * The most free GPUs on one node that fit a request: the worker asks every queued job's reason after each
     * pass, so it is worked out once per kind of request until a job starts or ends.
     */
    int bestFreeFor(Request r) {
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

    /** @return the pool's GPUs by model, for messages: {@code 8 x NVIDIA H100 80GB HBM3, 2 x NVIDIA L4} */
    String describe() {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (NodeState n : nodes) {
            for (GpuDevice d : n.devices) {
                counts.merge(d.name(), 1, Integer::sum);
            }
        }
        return counts.entrySet().stream().map(e -> e.getValue() + " x " + e.getKey()).collect(Collectors.joining(", "));
    }
}
