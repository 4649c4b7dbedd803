package dev.koder.training.spi;

import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;

/**
 * Receives every job event for experiment tracking (MLflow, a metrics system, a log). Called in order per
 * job on a service thread after the event is stored; an exception is logged and does not affect the job.
 */
public interface TrackingSink extends AutoCloseable {

    /**
     * @param job the job after the event
     * @param event the stored event
     */
    void onEvent(Job job, JobEvent event);

    /** Flushes and releases resources; the default does nothing. */
    @Override
    default void close() {
    }
}
