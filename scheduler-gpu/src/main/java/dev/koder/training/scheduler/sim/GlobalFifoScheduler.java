package dev.koder.training.scheduler.sim;

import dev.koder.training.api.GpuNode;
import dev.koder.training.api.Violation;
import dev.koder.training.spi.JobScheduler;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * One global first-come-first-served queue with no tiers and no backfill: the head waits for its GPUs and
 * everything behind it waits too. The baseline the trace benchmark compares the tier scheduler with.
 */
public final class GlobalFifoScheduler implements JobScheduler {

    private final TreeSet<Request> queue = new TreeSet<>(Comparator.comparing(Request::queuedAt)
            .thenComparing(Request::jobId));
    private final Map<String, Request> byId = new HashMap<>();
    private final Map<String, int[]> held = new HashMap<>();
    private final List<String> nodeNames = new ArrayList<>();
    private int[] free = new int[0];

    @Override
    public String name() {
        return "global-fifo";
    }

    @Override
    public void pool(List<GpuNode> nodes, int cpuSlots) {
        free = new int[nodes.size()];
        nodeNames.clear();
        for (int i = 0; i < nodes.size(); i++) {
            free[i] = nodes.get(i).gpus().size();
            nodeNames.add(nodes.get(i).name());
        }
    }

    @Override
    public List<Violation> check(Request request) {
        return List.of();
    }

    @Override
    public void enqueue(Request request) {
        queue.add(request);
        byId.put(request.jobId(), request);
    }

    @Override
    public void dequeue(String jobId) {
        Request r = byId.remove(jobId);
        if (r != null) {
            queue.remove(r);
        }
    }

    @Override
    public void release(String jobId) {
        int[] h = held.remove(jobId);
        if (h != null) {
            free[h[0]] += h[1];
        }
    }

    @Override
    public void running(Request request, Allocation allocation, Instant startedAt) {
        int node = nodeNames.indexOf(allocation.node());
        free[node] -= allocation.gpus().size();
        held.put(request.jobId(), new int[] {node, allocation.gpus().size()});
    }

    @Override
    public Decision schedule(Instant now) {
        List<Start> starts = new ArrayList<>();
        while (!queue.isEmpty()) {
            Request head = queue.first();
            int node = -1;
            for (int i = 0; i < free.length; i++) {
                if (free[i] >= head.gpus()) {
                    node = i;
                    break;
                }
            }
            if (node < 0) {
                break;
            }
            queue.pollFirst();
            byId.remove(head.jobId());
            free[node] -= head.gpus();
            held.put(head.jobId(), new int[] {node, head.gpus()});
            starts.add(new Start(head.jobId(), new Allocation(nodeNames.get(node), List.of())));
        }
        return new Decision(starts, List.of());
    }

    @Override
    public Optional<String> reason(String jobId) {
        return Optional.empty();
    }
}
