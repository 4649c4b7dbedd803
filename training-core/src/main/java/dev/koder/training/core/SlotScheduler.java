package dev.koder.training.core;

import dev.koder.training.api.GpuNode;
import dev.koder.training.api.Violation;
import dev.koder.training.spi.JobScheduler;
import dev.koder.training.spi.JobSchedulerProvider;
import dev.koder.training.spi.PluginConfig;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The built-in scheduler: one job per free slot, oldest first, whatever it asks for; it knows no GPUs. It is
 * what runs when dev.koder.training:scheduler-gpu (tiers, GPU pools, quotas of GPUs) is not installed.
 */
final class SlotScheduler implements JobScheduler {

    private record Key(Instant queuedAt, String jobId) {
    }

    private final TreeMap<Key, Request> queue = new TreeMap<>(Comparator.comparing(Key::queuedAt)
            .thenComparing(Key::jobId));
    private final Map<String, Key> keys = new HashMap<>();
    private final Set<String> running = new HashSet<>();
    private int slots = 1;

    @Override
    public String name() {
        return "slots";
    }

    @Override
    public void pool(List<GpuNode> nodes, int cpuSlots) {
        this.slots = Math.max(1, cpuSlots);
    }

    @Override
    public List<Violation> check(Request request) {
        return List.of();
    }

    @Override
    public void enqueue(Request request) {
        Key key = new Key(request.queuedAt(), request.jobId());
        keys.put(request.jobId(), key);
        queue.put(key, request);
    }

    @Override
    public void dequeue(String jobId) {
        Key key = keys.remove(jobId);
        if (key != null) {
            queue.remove(key);
        }
    }

    @Override
    public void release(String jobId) {
        running.remove(jobId);
    }

    @Override
    public void running(Request request, Allocation allocation, Instant startedAt) {
        running.add(request.jobId());
    }

    @Override
    public Decision schedule(Instant now) {
        List<Start> starts = new ArrayList<>();
        while (running.size() < slots && !queue.isEmpty()) {
            Request next = queue.pollFirstEntry().getValue();
            keys.remove(next.jobId());
            running.add(next.jobId());
            starts.add(new Start(next.jobId(), new Allocation("local", List.of())));
        }
        return starts.isEmpty() ? Decision.NONE : new Decision(starts, List.of());
    }

    @Override
    public Optional<String> reason(String jobId) {
        Key key = keys.get(jobId);
        if (key == null) {
            return Optional.empty();
        }
        int ahead = queue.headMap(key).size();
        return Optional.of(String.format(Locale.ROOT, "all %d slot%s busy; %d job%s ahead", slots,
                slots == 1 ? " is" : "s are", ahead, ahead == 1 ? "" : "s"));
    }

    /** Its provider: the lowest priority, so scheduler-gpu wins when installed. */
    public static final class Provider implements JobSchedulerProvider {
        @Override
        public String name() {
            return "slots";
        }

        @Override
        public int priority() {
            return -100;
        }

        @Override
        public JobScheduler create(PluginConfig config) {
            return new SlotScheduler();
        }
    }
}
