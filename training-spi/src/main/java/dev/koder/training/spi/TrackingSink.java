package dev.koder.training.spi;

import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import java.util.Optional;

/**
 * Receives every job event for experiment tracking (MLflow, a metrics system, a log). Called in order per
 * job on a service thread after the event is stored; an exception is logged and does not affect the job.
 *
 * <p>A sink must return quickly: the thread that calls it also hands events to listeners. A sink that talks
 * to a remote server hands the work to a thread of its own, and, to lose nothing when the server is down or the
 * process dies, reads what it has not sent yet from the job store through its {@link TrackingContext}: events
 * are stored before any sink sees them.
 *
 * <p>The compatibility kit {@code TrackingSinkCompatibilityKit} in training-tck checks an implementation.
 */
public interface TrackingSink extends AutoCloseable {

    /**
     * Called before the first event by the service that created the sink; called once more, with a context that
     * sends, when an instance that started as a standby takes the jobs of a shared store over.
     *
     * @param context the service's jobs, events, checkpoints and a durable place for the sink's own state
     */
    default void start(TrackingContext context) {
    }

    /**
     * @param job the job after the event
     * @param event the stored event
     */
    void onEvent(Job job, JobEvent event);

    /**
     * A checkpoint moved to another stage (approved or deprecated) in this process. Called on the same thread
     * as {@link #onEvent}; the default does nothing.
     *
     * @param checkpoint the checkpoint after the move
     */
    default void onCheckpointChanged(Checkpoint checkpoint) {
    }

    /**
     * A checkpoint was scored on demand ({@code Checkpoints.evaluate}) in this process. Called on the same thread as
     * {@link #onEvent}; the default does nothing.
     *
     * @param checkpoint the checkpoint
     * @param evaluation its figures and its base model's, as kept in the registry
     */
    default void onCheckpointEvaluated(Checkpoint checkpoint, dev.koder.training.api.Evaluation evaluation) {
    }

    /**
     * One line for people about where a job is tracked and whether the sink is behind, for {@code training
     * status}; the default says nothing.
     *
     * @param job the job
     * @return the line, or empty when the sink has nothing to say about the job
     */
    default Optional<String> describe(Job job) {
        return Optional.empty();
    }

    /** Flushes what it can within a short time and releases resources; the default does nothing. */
    @Override
    default void close() {
    }
}
