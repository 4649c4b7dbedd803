package dev.koder.training.scheduler.sim;

import dev.koder.training.api.Tier;
import dev.koder.training.spi.GpuNode;
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
 * the estimate the scheduler sees). Deterministic for a given trace. Used by the starvation test and the trace
 * benchmark.
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

    private final JobScheduler scheduler;

    /**
     * @param scheduler the scheduler under test
     * @param pool its GPUs
     * @param cpuSlots its CPU slots
     */
    public Simulator(JobScheduler scheduler, List<GpuNode> pool, int cpuSlots) {
        this.scheduler = scheduler;
        scheduler.pool(pool, cpuSlots);
    }

    /**
     * @param trace the jobs
     * @param horizon when to stop
     * @return one outcome per job, in trace order
     */
    public List<Outcome> run(List<Job> trace, Instant horizon) {
        PriorityQueue<Event> events = new PriorityQueue<>(Comparator.comparing(Event::at).thenComparing(Event::order));
        Map<String, Instant> starts = new HashMap<>();
        Map<String, Instant> ends = new HashMap<>();
        Map<String, Job> byId = new HashMap<>();
        int[] order = {0};
        for (Job j : trace) {
            byId.put(j.id(), j);
            events.add(new Event(j.arrival(), order[0]++, () -> scheduler.enqueue(request(j))));
        }
        while (!events.isEmpty() && !events.peek().at().isAfter(horizon)) {
            Event e = events.poll();
            e.action().run();
            while (!events.isEmpty() && events.peek().at().equals(e.at())) {
                events.poll().action().run();
            }
            JobScheduler.Decision d = scheduler.schedule(e.at());
            for (JobScheduler.Start s : d.starts()) {
                Job j = byId.get(s.jobId());
                starts.put(j.id(), e.at());
                Instant end = e.at().plus(j.runtime());
                events.add(new Event(end, order[0]++, () -> {
                    ends.put(j.id(), end);
                    scheduler.release(j.id());
                }));
            }
        }
        List<Outcome> out = new ArrayList<>();
        for (Job j : trace) {
            out.add(new Outcome(j, starts.get(j.id()), ends.get(j.id()), 0));
        }
        return out;
    }

    static JobScheduler.Request request(Job j) {
        return new JobScheduler.Request(j.id(), j.tenant(), j.tier(), j.arrival(), j.gpus(), null, 0, j.estimate());
    }
}
