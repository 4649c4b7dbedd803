package dev.koder.training.api;

import java.time.Duration;
import java.util.concurrent.TimeoutException;

/**
 * The jobs of a training service: submit, look up, list, follow, pause, resume, cancel. What host services code
 * against, so tests can stand in their own implementation.
 *
 * <pre>{@code
 * Job job = jobs.submit(spec);
 * jobs.addListener((j, e) -> log.info("{} {}", j.id(), e.message()));
 * Job done = jobs.await(job.id(), Duration.ofHours(2));
 * if (done.status() == JobStatus.FAILED) {
 *     log.warn("failed: {}", done.failure().message());
 * }
 * }</pre>
 */
public interface Jobs {

    /**
     * Checks the spec against its runner and the GPU pool, checks the model folder and every dataset line,
     * estimates the cost and reserves its GPU-hours against the tenant's budget, all in the calling thread; then
     * records the job. Relative dataset paths are made absolute against the working directory.
     *
     * @param spec a built spec
     * @return the new job: queued, or failed when its model or data is invalid (the findings are its events)
     * @throws UnsupportedFeatureException when the runner cannot run the spec
     * @throws InvalidSpecException when no GPU of the pool can ever run it (too many GPUs, too much memory, an
     *     unknown GPU type)
     * @throws QuotaExceededException when the tenant's budget cannot cover the estimate; nothing is recorded
     * @throws PluginNotFoundException when the spec names a runner that is not installed
     * @throws StorageException when the job could not be recorded
     */
    Job submit(JobSpec spec);

    /**
     * Submits a spec, as {@link #submit(JobSpec)}, recording who submitted it ({@link Job#submittedBy()}): the
     * approval gate's other-approver rule compares it with the approver.
     *
     * @param spec a built spec
     * @param submitter who submits it (an API key's name, a person); null when unknown
     * @return the new job
     */
    Job submit(JobSpec spec, String submitter);

    /**
     * @param id job id
     * @return the job as it is now
     * @throws JobNotFoundException when no job has that id
     */
    Job get(String id);

    /**
     * @param query which jobs, newest first
     * @return one page of them
     */
    Page<Job> list(JobQuery query);

    /**
     * @param id job id
     * @param afterSeq return events after this sequence number (0 for the first page)
     * @param limit most events, 1 to 1000
     * @return the events in order; the cursor is the last sequence number of the page
     * @throws JobNotFoundException when no job has that id
     */
    Page<JobEvent> events(String id, long afterSeq, int limit);

    /**
     * Cancels a job. A job that has not started is cancelled at once; a running one is asked to save a
     * checkpoint and stop (its trainer gets SIGTERM, and SIGKILL after the grace period). Calling again on a
     * job whose cancellation is under way stops it at once; calling on a cancelled job does nothing.
     *
     * @param id job id
     * @return the job after the request
     * @throws JobNotFoundException when no job has that id
     * @throws IllegalJobStateException when the job already succeeded or failed
     */
    Job cancel(String id);

    /**
     * Pauses a job, to be resumed later under the same id. A queued job is paused at once; a running one is asked to
     * save a checkpoint and stop (as for a cancel), then becomes {@link JobStatus#PAUSED}. A paused job keeps its
     * reserved GPU-hours; cancel it to release them. Calling on a paused job, or on one whose pause is under way,
     * does nothing.
     *
     * @param id job id
     * @return the job after the request
     * @throws JobNotFoundException when no job has that id
     * @throws IllegalJobStateException when the job is still validating, is being cancelled, or has ended
     */
    Job pause(String id);

    /**
     * Resumes a job. A paused job is queued again under its own id and goes on from its checkpoint. A cancelled or
     * failed one gives a new job from its last checkpoint: same spec, the step count going on from the checkpoint,
     * and the new job records where it came from ({@link Job#resumedFrom()}).
     *
     * @param id the paused, cancelled or failed job
     * @return the paused job, queued again; or the new job, validating
     * @throws JobNotFoundException when no job has that id
     * @throws IllegalJobStateException when the job is not paused, cancelled or failed, or (cancelled or failed) left
     *     no checkpoint
     */
    Job resume(String id);

    /**
     * Waits until the job reaches a final status.
     *
     * @param id job id
     * @param timeout longest wait
     * @return the finished job
     * @throws InterruptedException when the thread is interrupted
     * @throws TimeoutException when the job is still going after the timeout
     * @throws JobNotFoundException when no job has that id
     */
    Job await(String id, Duration timeout) throws InterruptedException, TimeoutException;

    /**
     * @param listener told about every event of every job run by this process
     * @return closing it removes the listener
     */
    Subscription addListener(JobListener listener);
}
