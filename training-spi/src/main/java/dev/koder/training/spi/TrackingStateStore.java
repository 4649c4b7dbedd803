package dev.koder.training.spi;

/**
 * Where tracking sinks keep their durable state ({@link TrackingState}, one namespace per sink): how far each job's
 * events reached the receiver, which run a job has. Instances that share a store share it, so the instance that takes
 * the jobs over goes on from where the last one stopped instead of sending again.
 *
 * <p>The compatibility kit {@code TrackingStateStoreCompatibilityKit} in training-tck checks an implementation.
 */
public interface TrackingStateStore extends AutoCloseable {

    /** @param sink the sink's namespace @return its state */
    TrackingState of(String sink);

    /** Releases connections. */
    @Override
    void close();
}
