package dev.koder.training.spi;

import java.time.Duration;
import java.util.Objects;

/**
 * What became of one try to send an outbox message.
 *
 * @param outcome sent, to try again, or refused for good
 * @param detail why it was not sent (a status and what the receiver said), or null
 * @param retryAfter how long the receiver asked to wait (Retry-After), or null to use the outbox's backoff
 */
public record Delivery(Outcome outcome, String detail, Duration retryAfter) {

    /** The three outcomes. */
    public enum Outcome {
        /** The receiver has it: the message is marked sent. */
        SENT,
        /** Not now (a timeout, a 5xx, a 429): the same message is tried again after a backoff, before any later one. */
        RETRY,
        /** Never (a 4xx the receiver means): the message is kept as dead, with the detail, and the next one goes. */
        REJECTED
    }

    /** Checks the fields. */
    public Delivery {
        Objects.requireNonNull(outcome, "outcome");
    }

    /** @return a message the receiver has */
    public static Delivery sent() {
        return new Delivery(Outcome.SENT, null, null);
    }

    /** @param detail why @param retryAfter the receiver's wait, or null @return a try to repeat */
    public static Delivery retry(String detail, Duration retryAfter) {
        return new Delivery(Outcome.RETRY, detail, retryAfter);
    }

    /** @param detail why @return a message the receiver will never take */
    public static Delivery rejected(String detail) {
        return new Delivery(Outcome.REJECTED, detail, null);
    }
}
