package dev.koder.training.spi;

import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobQuery;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Page;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Durable home of jobs and their events. Every method is atomic and safe to call from many threads and
 * from several processes sharing the store. Each change is committed before the method returns, which is
 * what lets the service lose nothing when its process dies.
 *
 * <p>Implementations persist; the meaning of a change is fixed by {@link JobUpdate#apply}. The
 * compatibility kit {@code JobStoreCompatibilityKit} in training-tck checks an implementation.
 */
public interface JobStore extends AutoCloseable {

    /**
     * Stores a new job with its first events.
     *
     * @param job the new job (its id must be new)
     * @param events events to append, numbered from 1
     * @return the appended events
     * @throws dev.koder.training.api.StorageException when it cannot be stored
     */
    List<JobEvent> insert(JobRecord job, List<NewEvent> events);

    /**
     * @param id job id
     * @return the job, if stored
     */
    Optional<JobRecord> find(String id);

    /**
     * @param query filter and page; newest first, ordered by id descending (ids are time-ordered)
     * @return one page; its cursor is the id of the last job on it when more may follow
     */
    Page<JobRecord> list(JobQuery query);

    /**
     * @param statuses statuses to look for
     * @return every job in one of them, oldest first
     */
    List<JobRecord> findByStatus(Set<JobStatus> statuses);

    /**
     * The ids alone of {@link #findByStatus}: what a worker's pass needs to see which jobs joined or left the queue,
     * without reading every queued job. Stores should answer it from an index.
     *
     * @param statuses statuses to look for
     * @return the ids of every job in one of them, oldest first
     */
    default List<String> idsByStatus(Set<JobStatus> statuses) {
        return findByStatus(statuses).stream().map(JobRecord::id).toList();
    }

    /**
     * Changes a job if it is still in the expected status, and appends events, in one transaction.
     *
     * @param id job id
     * @param expected the status the caller saw; the change is refused if the job moved on since
     * @param update the change (see {@link JobUpdate#apply})
     * @param events events to append
     * @return the changed job and the appended events, or empty when the job is not in the expected status
     * @throws dev.koder.training.api.JobNotFoundException when no job has that id
     * @throws IllegalStateException when the update asks for a status move {@link JobStatus} forbids
     */
    Optional<Updated> update(String id, JobStatus expected, JobUpdate update, List<NewEvent> events);

    /**
     * @param id job id
     * @param afterSeq only events after this sequence number
     * @param limit most events, 1 to 1000
     * @return events in sequence order; the cursor is the last sequence number when more may follow
     * @throws dev.koder.training.api.JobNotFoundException when no job has that id
     */
    Page<JobEvent> events(String id, long afterSeq, int limit);

    /** Releases connections and files. */
    @Override
    void close();
}
