package dev.koder.training.webhook;

import dev.koder.training.spi.Delivery;
import dev.koder.training.spi.OutboundSink;
import dev.koder.training.spi.Outbox;
import dev.koder.training.spi.OutboxMessage;
import dev.koder.training.spi.RegistryEvent;
import dev.koder.training.spi.RegistryListener;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Posts the checkpoint registry's events to a receiver (a model registry, a serving runtime's deployer): registered,
 * approved, deprecated, exported and evaluated, each a CloudEvent whose data holds the checkpoint as the registry
 * has it, who did it, and the event's details. Set up with {@code training.webhook.registry.*}.
 */
public final class WebhookRegistrySink implements RegistryListener, OutboundSink {

    private final WebhookSettings settings;
    private final WebhookPoster poster;
    private volatile Outbox outbox;

    WebhookRegistrySink(WebhookSettings settings, Clock clock) {
        this.settings = settings;
        this.poster = new WebhookPoster(settings, clock);
    }

    @Override
    public String outboxName() {
        return "webhook-registry";
    }

    @Override
    public void start(Outbox outbox) {
        this.outbox = outbox;
    }

    @Override
    public void onRegistryEvent(RegistryEvent event) {
        Outbox o = outbox;
        if (o == null) {
            throw new IllegalStateException("the registry webhook got an event before its outbox");
        }
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("checkpoint", CloudEvents.JSON.convertValue(event.checkpoint(), Map.class));
        data.put("actor", event.actor());
        data.putAll(event.details());
        o.append(CloudEvents.message(event.id(), settings.source(), event.type(), event.checkpoint().id(),
                event.time(), data));
    }

    @Override
    public Delivery deliver(OutboxMessage message, int attempt) {
        return poster.post(message, attempt);
    }

    @Override
    public String toString() {
        return "registry webhook to " + settings.url();
    }
}
