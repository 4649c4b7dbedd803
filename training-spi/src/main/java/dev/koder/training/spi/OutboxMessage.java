package dev.koder.training.spi;

import java.time.Instant;
import java.util.Objects;

/**
 * One message of an {@link Outbox}: what a sink will send, stored before it is sent.
 *
 * @param key the idempotency key: unique within the sink; appending a key the outbox holds (sent or not) again
 *     stores nothing, and the receiver deduplicates by it
 * @param type what it is, for example {@code checkpoint.approved} or {@code usage}
 * @param subject what it is about (a checkpoint or job id), or null
 * @param body the bytes to send, exactly (a sink serialises once, when it appends)
 * @param createdAt when it was appended
 */
public record OutboxMessage(String key, String type, String subject, byte[] body, Instant createdAt) {

    /** Checks the fields. */
    public OutboxMessage {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(createdAt, "createdAt");
        if (key.isBlank() || key.length() > 512) {
            throw new IllegalArgumentException("an outbox key must be 1 to 512 characters, got " + key.length());
        }
    }
}
