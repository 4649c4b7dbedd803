package dev.koder.training.webhook;

import dev.koder.training.spi.Delivery;
import dev.koder.training.spi.OutboundSink;
import dev.koder.training.spi.Outbox;
import dev.koder.training.spi.OutboxMessage;
import java.time.Clock;

/** What both webhooks share: their outbox, where they append an event's bytes, and the POST that sends them. */
abstract class WebhookSink implements OutboundSink {

    final WebhookSettings settings;
    private final String outboxName;
    private final WebhookPoster poster;
    private volatile Outbox outbox;

    WebhookSink(String outboxName, WebhookSettings settings, Clock clock) {
        this.outboxName = outboxName;
        this.settings = settings;
        this.poster = new WebhookPoster(settings, clock);
    }

    @Override
    public final String outboxName() {
        return outboxName;
    }

    @Override
    public final void start(Outbox outbox) {
        this.outbox = outbox;
    }

    /** @param m an event, as sent @throws IllegalStateException before {@link #start} */
    final void append(OutboxMessage m) {
        Outbox o = outbox;
        if (o == null) {
            throw new IllegalStateException(this + " got an event before its outbox");
        }
        o.append(m);
    }

    @Override
    public final Delivery deliver(OutboxMessage message, int attempt) {
        return poster.post(message, attempt);
    }
}
