package dev.koder.training.scheduler.sim;

import dev.koder.training.api.GpuNode;
import dev.koder.training.api.Tier;
import dev.koder.training.spi.JobScheduler;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Replays a trace of jobs through a {@link JobScheduler} in simulated time: arrivals and completions are events;
 * after each, the scheduler decides, and started jobs complete after their true runtime (which may differ from
 * the estimate the scheduler sees). A preempted job goes back to the queue with what it had left plus a restart
 * cost. Deterministic for a given trace. Used by the starvation test and the trace benchmark.
 */
public final class Simulator {

    /**
     * A job of the trace.
     *
     * @param id unique id
     * @param tenant owner
     * @param tier tier
     * @param arrival when it is submitted
     * @param gpus GPUs it needs (0: CPU)
     * @param runtime how long it really runs
     * @param estimate how long the scheduler is told it runs
     */
    public record Job(String id, String tenant, Tier tier, Instant arrival, int gpus, Duration runtime,
            Duration estimate) {
    }

    /**
     * What happened to a job.
     *
     * @param job the job
     * @param start when it started (null if it never did before the simulation ended)
     * @param end when it ended
     * @param preempted times it was preempted
     */
    public record Outcome(Job job, Instant start, Instant end, int preempted) {

        /** @param horizon when the simulation stopped @return the wait, up to the horizon for jobs never started */
        public Duration waited(Instant horizon) {
            return Duration.between(job.arrival(), start == null ? horizon : start);
        }
    }

    private record Event(Instant at, int order, Runnable action) {
    }

    /** A job's run in progress: when this attempt started, and a flag that voids its end event if preempted. */
    private static final class Attempt {
        final Instant start;
        final Duration left;
        boolean voided;

        Attempt(Instant start, Duration left) {
            this.start = start;
            this.left = left;
        }
    }

    private final JobScheduler scheduler;
    private final int totalGpus;
    private final Duration restart;
    private double busyGpuSeconds;

    /**
     * @param scheduler the scheduler under test
     * @param pool its GPUs
     * @param cpuSlots its CPU slots
     */
    public Simulator(JobScheduler scheduler, List<GpuNode> pool, int cpuSlots) {
        this(scheduler, pool, cpuSlots, Duration.ofMinutes(2));
    }

    /**
     * @param scheduler the scheduler under test
     * @param pool its GPUs
     * @param cpuSlots its CPU slots
     * @param restart what a preempted job loses: the time to load again and the work since its last checkpoint
     */
    public Simulator(JobScheduler scheduler, List<GpuNode> pool, int cpuSlots, Duration restart) {
        this.scheduler = scheduler;
        this.totalGpus = pool.stream().mapToInt(n -> n.gpus().size()).sum();
        this.restart = restart;
        scheduler.pool(pool, cpuSlots);
    }

    /** @return GPU-seconds jobs held GPUs in the last run, up to its horizon */
    public double busyGpuSeconds() {
        return busyGpuSeconds;
    }

    /** @param horizon the length of the last run @return the share of the pool's GPU time jobs held */
    public double utilisation(Duration horizon) {
        return totalGpus == 0 ? 0 : busyGpuSeconds / (totalGpus * (double) horizon.toSeconds());
    }

    /**
     * @param trace the jobs
     * @param horizon when to stop
     * @return one outcome per job, in trace order
     */
    public List<Outcome> run(List<Job> trace, Instant horizon) {
        PriorityQueue<Event> events = new PriorityQueue<>(Comparator.comparing(Event::at).thenComparing(Event::order));
        Map<String, Instant> firstStarts = new HashMap<>();
        Map<String, Instant> ends = new HashMap<>();
        Map<String, Attempt> running = new HashMap<>();
        Map<String, Integer> preempted = new HashMap<>();
        Map<String, Duration> leftAfterPreemption = new HashMap<>();
        Map<String, Job> byId = new HashMap<>();
        int[] order = {0};
        busyGpuSeconds = 0;
        for (Job j : trace) {
            byId.put(j.id(), j);
            events.add(new Event(j.arrival(), order[0]++, () -> scheduler.enqueue(request(j, j.estimate()))));
        }
        while (!events.isEmpty() && !events.peek().at().isAfter(horizon)) {
            Event e = events.poll();
            Instant now = e.at();
            e.action().run();
            while (!events.isEmpty() && events.peek().at().equals(now)) {
                events.poll().action().run();
            }
            // Preempted jobs give their GPUs back at once, so decide again until nothing more is preempted.
            JobScheduler.Decision d;
            int rounds = 0;
            do {
                d = scheduler.schedule(now);
                for (JobScheduler.Preemption p : d.preemptions()) {
                    Attempt a = running.remove(p.jobId());
                    if (a == null) {
                        continue;
                    }
                    a.voided = true;
                    Job j = byId.get(p.jobId());
                    busyGpuSeconds += j.gpus() * (double) Duration.between(a.start, now).toSeconds();
                    scheduler.release(j.id());
                    preempted.merge(j.id(), 1, Integer::sum);
                    Duration left = a.left.minus(Duration.between(a.start, now)).plus(restart);
                    leftAfterPreemption.put(j.id(), left);
                    Duration estimate = j.estimate().minus(j.runtime().minus(left));
                    scheduler.enqueue(request(j, estimate.isNegative() || estimate.isZero() ? left : estimate));
                }
                for (JobScheduler.Start s : d.starts()) {
                    Job j = byId.get(s.jobId());
                    firstStarts.putIfAbsent(j.id(), now);
                    Duration left = leftAfterPreemption.getOrDefault(j.id(), j.runtime());
                    Attempt a = new Attempt(now, left);
                    running.put(j.id(), a);
                    Instant end = now.plus(left);
                    events.add(new Event(end, order[0]++, () -> {
                        if (!a.voided) {
                            running.remove(j.id());
                            ends.put(j.id(), end);
                            busyGpuSeconds += j.gpus() * (double) left.toSeconds();
                            scheduler.release(j.id());
                        }
                    }));
                }
            } while (!d.preemptions().isEmpty() && ++rounds < 8);
        }
        for (Map.Entry<String, Attempt> r : running.entrySet()) {
            busyGpuSeconds += byId.get(r.getKey()).gpus() * (double) Duration.between(r.getValue().start, horizon)
                    .toSeconds();
        }
        List<Outcome> out = new ArrayList<>();
        for (Job j : trace) {
            out.add(new Outcome(j, firstStarts.get(j.id()), ends.get(j.id()), preempted.getOrDefault(j.id(), 0)));
        }
        return out;
    }

    static JobScheduler.Request request(Job j, Duration estimate) {
        return new JobScheduler.Request(j.id(), j.tenant(), j.tier(), j.arrival(), j.gpus(), null, 0, estimate);
    }
}
