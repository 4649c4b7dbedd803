package dev.koder.training.spi;

import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.Checkpoints;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.Page;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the service gives a {@link TrackingSink} when it starts: read access to jobs, their stored events and
 * the checkpoint registry, a durable key-value store for the sink's own bookkeeping, and a way to record on a
 * job where it is tracked.
 */
public interface TrackingContext {

    /**
     * @return true in the process that runs the jobs now (it holds the worker lease): only that process should send
     *     to a tracking server, so that two processes never send the same thing; other processes (a CLI, a
     *     client service, a standby) record what must be sent in {@link #state()}. On a shared store it changes
     *     when the lease passes, so a sender asks it again before each round
     */
    boolean sends();

    /** @return the service's home directory; a job's folder is {@code <home>/jobs/<id>} */
    Path home();

    /** @param id a job id @return the job, if stored */
    Optional<Job> job(String id);

    /**
     * @param jobId the job
     * @param afterSeq only events after this sequence number
     * @param limit most events, 1 to 1000
     * @return stored events in sequence order
     */
    Page<JobEvent> events(String jobId, long afterSeq, int limit);

    /** @return every job that has not reached a final status, oldest first */
    List<Job> unfinished();

    /**
     * @param job a job
     * @return what its checkpoints are made from: the spec's SHA-256, each dataset's SHA-256, the base model's
     *     revision (the same figures the registry records for its checkpoints)
     */
    Checkpoint.Lineage lineage(Job job);

    /** @return the checkpoint registry */
    Checkpoints checkpoints();

    /** @return the sink's durable state in the home's database, shared by every process on the home */
    TrackingState state();

    /**
     * Records on a job where it is tracked, for example {@code mlflow.run_id} and {@code mlflow.run_url}; shown
     * by {@code training status} and in {@link Job#tracking()}. Keys already there are replaced.
     *
     * @param jobId the job
     * @param entries keys and values to record
     */
    void annotate(String jobId, Map<String, String> entries);
}
