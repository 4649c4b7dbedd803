package dev.koder.training.spi;

import java.time.Instant;
import java.util.List;

/**
 * Where the sinks' outboxes are kept: one ordered queue per sink, each message {@code pending}, then {@code sent} or
 * {@code dead}. Sent and dead messages stay for a while, so a key appended again (a reconcile after a crash) is
 * recognised and never sent twice. The service's {@link Outbox} for each sink, and its senders, sit on it; instances
 * that share a store share the outboxes, so what one appended the worker of another sends.
 *
 * <p>The compatibility kit {@code OutboxStoreCompatibilityKit} in training-tck checks an implementation.
 */
public interface OutboxStore extends AutoCloseable {

    /** What appending found. */
    enum Appended {
        /** Stored now. */
        STORED,
        /** A message with this key was stored before (sent or not): nothing changed. */
        KNOWN,
        /** The sink holds its limit of pending messages: nothing stored. */
        FULL
    }

    /**
     * A pending message with its place and tries.
     *
     * @param seq its place in the sink's queue (1, 2, 3...)
     * @param message the message
     * @param attempts how often it was tried
     */
    record Pending(long seq, OutboxMessage message, int attempts) {
    }

    /**
     * Appends a message to a sink's queue, numbered after the last; of several appends of one key, one stores it.
     *
     * @param sink the sink's outbox
     * @param m the message
     * @param maxPending the most pending messages the sink may hold
     * @return what happened
     */
    Appended append(String sink, OutboxMessage m, long maxPending);

    /** @param sink a sink @return how many of its messages are pending */
    long pending(String sink);

    /** @param sink a sink @param limit how many @return its oldest pending messages, oldest first */
    List<Pending> next(String sink, int limit);

    /**
     * Ends a pending message.
     *
     * @param sink a sink
     * @param seq the message
     * @param state {@code sent} or {@code dead}
     * @param error why it is dead, or null
     * @param at when
     */
    void finish(String sink, long seq, String state, String error, Instant at);

    /** @param sink a sink @param seq a pending message @param error why the try failed: counts a try */
    void failed(String sink, long seq, String error);

    /**
     * Forgets sent messages finished before a time (dead ones stay, for an operator to look at).
     *
     * @param before the time
     * @return how many were forgotten
     */
    int prune(Instant before);

    /** @param sink a sink @return how many of its messages are dead */
    long dead(String sink);

    /** Releases connections. */
    @Override
    void close();
}
