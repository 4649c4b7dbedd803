package dev.koder.training.spi;

/**
 * Receives one {@link UsageRecord} per finished trainer attempt, for billing. Called on a service thread;
 * an exception is logged and does not affect the job.
 */
public interface UsageSink extends AutoCloseable {

    /** @param usage what the attempt used */
    void record(UsageRecord usage);

    /** Flushes and releases resources; the default does nothing. */
    @Override
    default void close() {
    }
}
