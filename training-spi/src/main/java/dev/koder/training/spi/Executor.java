package dev.koder.training.spi;

import java.io.IOException;
import java.util.Optional;

/**
 * Runs launch plans somewhere: local processes now, Kubernetes Jobs or Slurm later. Can start, signal and
 * kill the whole process tree, and report the exit.
 */
public interface Executor extends AutoCloseable {

    /** @return the executor's name, for example {@code local} */
    String name();

    /**
     * Starts a trainer.
     *
     * @param plan what to run
     * @return the running trainer
     * @throws IOException when the process cannot be started
     */
    Execution start(LaunchPlan plan) throws IOException;

    /**
     * Finds a trainer started earlier, possibly by another process of the service that has since died.
     *
     * @param ref the {@link Execution#ref()} stored with the job
     * @return the trainer if it is still running, empty if it is gone
     */
    Optional<Execution> reattach(String ref);

    /** Kills every trainer it started that is still running. */
    @Override
    void close();
}
