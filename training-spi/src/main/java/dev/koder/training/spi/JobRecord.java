package dev.koder.training.spi;

import dev.koder.training.api.Job;
import dev.koder.training.api.JobStatus;
import java.time.Instant;

/**
 * A job as a {@link JobStore} keeps it: the public {@link Job} plus what the service needs to pick a running
 * trainer up again after a restart.
 *
 * @param job the job
 * @param executor name of the executor running its trainer, or null
 * @param executionRef the executor's reference to the trainer, or null
 * @param eventsOffset bytes of the trainer's events file already turned into job events
 * @param cancelRequests how many times cancellation was asked for while the job ran (a second request
 *     escalates: the trainer stops without waiting for its checkpoint)
 * @param phase where the current attempt of a RUNNING job stands (null for a job stored before phases were, or not
 *     running)
 * @param launchToken the token the current attempt's trainer is started with, stored before it is started, so a
 *     restarted service can ask the executor for it ({@link Executor#find}); null when no launch was begun
 * @param launchedAt when the current attempt's launch began: its GPU-hours count from then, also when another
 *     process settles it after a restart; null when no launch was begun
 */
public record JobRecord(Job job, String executor, String executionRef, long eventsOffset, int cancelRequests,
        AttemptPhase phase, String launchToken, Instant launchedAt) {

    /**
     * A record without an attempt phase.
     *
     * @param job the job
     * @param executor name of the executor running its trainer, or null
     * @param executionRef the executor's reference to the trainer, or null
     * @param eventsOffset bytes of the trainer's events file already turned into job events
     * @param cancelRequests how many times cancellation was asked for while the job ran
     */
    public JobRecord(Job job, String executor, String executionRef, long eventsOffset, int cancelRequests) {
        this(job, executor, executionRef, eventsOffset, cancelRequests, null, null, null);
    }

    /**
     * @param job a new job
     * @return its record, with no trainer yet
     */
    public static JobRecord of(Job job) {
        return new JobRecord(job, null, null, 0, 0);
    }

    /** @return the job's id */
    public String id() {
        return job.id();
    }

    /** @return the job's status */
    public JobStatus status() {
        return job.status();
    }
}
