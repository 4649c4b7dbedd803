package dev.koder.training.api;

/**
 * Told about every event of every job the service runs in this process, in order per job. Called on a
 * service thread: return quickly and do not block; an exception thrown here is logged and ignored.
 */
@FunctionalInterface
public interface JobListener {

    /**
     * @param job the job as it is after the event
     * @param event what happened
     */
    void onEvent(Job job, JobEvent event);
}
