package dev.koder.training.spi;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** A trainer started by an {@link Executor}. */
public interface Execution {

    /**
     * @return an opaque reference the service stores with the job, so that it can {@link
     *     Executor#reattach(String) re-attach} after a restart
     */
    String ref();

    /** @return true while the trainer or any process it started is running */
    boolean isAlive();

    /**
     * Asks the trainer to stop cleanly: SIGTERM to its whole process group. The trainer saves a checkpoint
     * and exits.
     */
    void terminate();

    /** Kills the trainer and every process it started at once (SIGKILL to the process group). */
    void kill();

    /**
     * @return where the trainer runs, once the executor knows, when it may differ from the plan's allocation (a cluster
     *     engine picks the GPU indexes on the node itself); empty by default
     */
    default Optional<JobScheduler.Allocation> allocation() {
        return Optional.empty();
    }

    /**
     * @return the processes of the trainer on this host (it and every process it started) that are alive now, for
     *     tying the kernel's out-of-memory evidence to it; empty by default (a trainer on another host)
     */
    default java.util.List<Long> localProcesses() {
        return java.util.List.of();
    }

    /**
     * @return how often the kernel's out-of-memory killer acted in the trainer's own memory cgroup, when the executor
     *     gave it one (the final count once it exited); empty otherwise
     */
    default java.util.OptionalLong oomKills() {
        return java.util.OptionalLong.empty();
    }

    /**
     * @return the most host memory the trainer (it and its children) held, in bytes, when the executor measures it;
     *     empty otherwise
     */
    default java.util.OptionalLong peakMemoryBytes() {
        return java.util.OptionalLong.empty();
    }

    /** @return the memory limit the trainer runs under, in bytes, when the executor set one; empty otherwise */
    default java.util.OptionalLong memoryLimitBytes() {
        return java.util.OptionalLong.empty();
    }

    /** @return completes when the trainer has exited */
    CompletableFuture<ExitStatus> onExit();
}
