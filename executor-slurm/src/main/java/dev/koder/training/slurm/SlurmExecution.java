package dev.koder.training.slurm;

import dev.koder.training.spi.Execution;
import dev.koder.training.spi.ExitStatus;
import dev.koder.training.spi.JobScheduler;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A trainer running as a Slurm job; its state is read by the executor's poller. */
final class SlurmExecution implements Execution {

    private static final Logger LOG = LoggerFactory.getLogger(SlurmExecution.class);

    private final SlurmExecutor executor;
    private final long id;
    private final int gpus;
    private final CompletableFuture<ExitStatus> exit = new CompletableFuture<>();
    private volatile SlurmJob last;

    /** @param gpus the GPUs it asked for, or -1 when unknown (a job found again after a restart) */
    SlurmExecution(SlurmExecutor executor, long id, int gpus) {
        this.executor = executor;
        this.id = id;
        this.gpus = gpus;
    }

    long id() {
        return id;
    }

    void seen(SlurmJob job) {
        last = job;
        if (!job.active()) {
            ended(job);
        }
    }

    /** @param job its final state, or null when Slurm no longer knows it */
    void ended(SlurmJob job) {
        if (job == null) {
            exit.complete(ExitStatus.UNKNOWN);
            return;
        }
        ExitStatus status = job.exit();
        if (status.code() != null && status.code() == SlurmExecutor.NO_SHARED_HOME && status.state() == null) {
            status = ExitStatus.ended(status.code(), SlurmExecutor.STATE_PREFIX + "NO_SHARED_HOME", "Slurm job " + id
                    + " found no job folder on node " + job.node() + ": the service's home must be on a filesystem "
                    + "every node mounts (NFS, Lustre...)");
        }
        exit.complete(status);
    }

    @Override
    public String ref() {
        return SlurmExecutor.REF_PREFIX + id;
    }

    @Override
    public boolean isAlive() {
        SlurmJob job = last;
        return !exit.isDone() && (job == null || job.active());
    }

    @Override
    public void terminate() {
        try {
            executor.client().cancel(id);
        } catch (IOException e) {
            LOG.warn("cannot cancel Slurm job {}: {}", id, e.getMessage());
        }
    }

    @Override
    public void kill() {
        try {
            executor.client().signal(id, "KILL");
        } catch (IOException e) {
            LOG.warn("cannot kill Slurm job {}: {}", id, e.getMessage());
        }
    }

    @Override
    public Optional<JobScheduler.Allocation> allocation() {
        SlurmJob job = last;
        if (job == null || !job.running() || job.node() == null || (gpus >= 0 && job.gpus().size() != gpus)) {
            return Optional.empty();
        }
        return Optional.of(new JobScheduler.Allocation(job.node(), job.gpus()));
    }

    @Override
    public CompletableFuture<ExitStatus> onExit() {
        return exit;
    }

    @Override
    public String toString() {
        SlurmJob job = last;
        return "Slurm job " + id + (job != null && job.node() != null ? " on " + job.node() : "");
    }
}
