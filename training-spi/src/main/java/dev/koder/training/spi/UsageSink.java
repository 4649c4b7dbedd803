package dev.koder.training.spi;

/**
 * Receives the {@link UsageRecord} of every finished trainer attempt, for billing. The service stores each record
 * with its attempt's end and hands it over from there, on a service thread, in order per job: a record is handed
 * over at least once, and again after the worker was killed between handing it over and noting that it did. So a
 * sink keeps a record once by its {@link UsageRecord#key()} (an outbox does). An exception is logged and does not
 * affect the job; that record is not handed to the sink again.
 */
public interface UsageSink extends AutoCloseable {

    /** @param usage what the attempt used */
    void record(UsageRecord usage);

    /** Flushes and releases resources; the default does nothing. */
    @Override
    default void close() {
    }
}
