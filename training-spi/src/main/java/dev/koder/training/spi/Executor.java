package dev.koder.training.spi;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Runs launch plans somewhere: local processes or Slurm jobs (Kubernetes Jobs later). Can start, signal and
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

    /**
     * Finds a trainer started with a launch token ({@link LaunchPlan#launchToken()}): the service stores the token
     * before it asks for the start, so after a crash between the two (or an answer to the start that was lost) it
     * asks here before it starts anything again. An executor must be able to answer without the reference that
     * {@link #start} returned.
     *
     * @param launchToken the token
     * @param workdir the job's working directory, where the plan's files were
     * @return the trainer if one started with that token is still running, empty if none is
     * @throws IOException when the executor cannot tell (its cluster does not answer): the caller must not start
     *     the trainer again then
     */
    Optional<Execution> find(String launchToken, Path workdir) throws IOException;

    /** Kills every trainer it started that is still running. */
    @Override
    void close();
}
