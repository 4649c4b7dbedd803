package dev.koder.training.spi;

import dev.koder.training.api.GpuNode;
import dev.koder.training.api.Tier;
import dev.koder.training.api.Violation;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Decides which queued jobs start, when, and on which GPUs. The service keeps it informed (jobs queued,
 * dequeued, ended; the pool) and asks it what to start whenever something changed. Called from one thread at
 * a time; implementations keep their own queue structures so that a decision does not rescan the queue.
 */
public interface JobScheduler {

    /** @return the scheduler's name */
    String name();

    /**
     * The pool as it is now.
     *
     * @param nodes GPU nodes and their GPUs
     * @param cpuSlots how many CPU-only jobs may run at once
     */
    void pool(List<GpuNode> nodes, int cpuSlots);

    /**
     * Checks a job could ever run on the pool (enough GPUs of its type on one node, enough memory each).
     *
     * @param request the job
     * @return why it can never run, each with the JSON pointer of the option; empty when it can
     */
    List<Violation> check(Request request);

    /** @param request a job that joined the queue (again, after a preemption or restart) */
    void enqueue(Request request);

    /** @param jobId a queued job that left the queue without starting */
    void dequeue(String jobId);

    /** @param jobId a started job that ended; its GPUs are free again */
    void release(String jobId);

    /**
     * Registers a job that is already running (found again after a restart of the service).
     *
     * @param request the job
     * @param allocation the GPUs it holds
     * @param startedAt when it started
     */
    void running(Request request, Allocation allocation, Instant startedAt);

    /**
     * @param now the time
     * @return the jobs to start now with their GPUs, and running jobs to preempt (stop with a checkpoint and
     *     requeue) to make room
     */
    Decision schedule(Instant now);

    /** @param jobId a queued job @return why it waits, for people, if the scheduler knows it */
    Optional<String> reason(String jobId);

    /**
     * A job as the scheduler sees it.
     *
     * @param jobId the job
     * @param tenant who owns it
     * @param tier the tenant's tier
     * @param queuedAt when it was first queued (FIFO order)
     * @param gpus GPUs it needs on one node; 0 for a CPU job
     * @param gpuType the GPU model it needs, or null for any
     * @param memoryGib memory it needs on each GPU (its estimated peak, or its stated minimum)
     * @param expectedRuntime its estimated wall time
     */
    record Request(String jobId, String tenant, Tier tier, Instant queuedAt, int gpus, String gpuType,
            double memoryGib, Duration expectedRuntime) {
    }

    /**
     * Where a job runs.
     *
     * @param node the node's name
     * @param gpus indexes of its GPUs on that node (empty for CPU jobs)
     */
    record Allocation(String node, List<Integer> gpus) {

        /** Copies the list so the record stays immutable. */
        public Allocation {
            gpus = List.copyOf(gpus);
        }
    }

    /**
     * One decision.
     *
     * @param starts jobs to start now
     * @param preemptions running jobs to stop and requeue, with the job they make room for
     */
    record Decision(List<Start> starts, List<Preemption> preemptions) {

        /** No change. */
        public static final Decision NONE = new Decision(List.of(), List.of());

        /** Copies the lists so the record stays immutable. */
        public Decision {
            starts = List.copyOf(starts);
            preemptions = List.copyOf(preemptions);
        }
    }

    /**
     * @param jobId the job to start
     * @param allocation where
     */
    record Start(String jobId, Allocation allocation) {
    }

    /**
     * @param jobId the running job to stop with a checkpoint and requeue
     * @param forJobId the job it makes room for
     */
    record Preemption(String jobId, String forJobId) {
    }
}
