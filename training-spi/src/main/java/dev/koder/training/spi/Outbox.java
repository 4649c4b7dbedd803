package dev.koder.training.spi;

/**
 * A sink's durable outbox in the service's database: messages are stored when appended and handed to the sink's
 * {@link OutboundSink#deliver} in the order they were appended, one at a time, until each is sent or refused for
 * good. A message is stored once per key, so a receiver that deduplicates by key sees each exactly once, through
 * failures, timeouts and restarts of either side.
 */
public interface Outbox {

    /**
     * Stores a message for sending; fast (one local transaction), callable from any thread.
     *
     * @param message the message
     * @return true when it is stored now or was stored before under its key; false when the outbox holds its limit of
     *     unsent messages ({@code training.outbox.max-pending}), in which case it is dropped and the service warns
     */
    boolean append(OutboxMessage message);

    /** @return how many messages wait to be sent */
    long pending();
}
