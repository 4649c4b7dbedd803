package dev.koder.training.spi;

/**
 * A sink that sends what it is told to another service through a durable {@link Outbox}: a {@link RegistryListener}
 * or a {@link UsageSink} that also implements this appends a message when told of something, and the service's
 * delivery thread hands each message back to {@link #deliver} in order, with retries and backoff, until it is sent.
 * The sink only turns events into bytes and bytes into one request; the outbox does the rest.
 *
 * <p>Messages are delivered by the process that runs the jobs (the worker); other processes on the same home (the
 * command line approving a checkpoint) only append.
 */
public interface OutboundSink {

    /** @return a stable name: the outbox's, so a restarted service finds what this sink had not sent */
    String outboxName();

    /**
     * Called once, before the sink is told of anything.
     *
     * @param outbox where this sink appends its messages
     */
    void start(Outbox outbox);

    /**
     * Sends one message once. Called on the sink's delivery thread, one message at a time, oldest first.
     *
     * @param message the message, as appended
     * @param attempt which try this is, from 1
     * @return what became of it; an exception counts as {@link Delivery.Outcome#RETRY}
     */
    Delivery deliver(OutboxMessage message, int attempt);
}
