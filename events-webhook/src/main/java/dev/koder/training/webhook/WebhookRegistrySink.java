package dev.koder.training.webhook;

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
public final class WebhookRegistrySink extends WebhookSink implements RegistryListener {

    WebhookRegistrySink(WebhookSettings settings, Clock clock) {
        super("webhook-registry", settings, clock);
    }

    @Override
    public void onRegistryEvent(RegistryEvent event) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("checkpoint", CloudEvents.JSON.convertValue(event.checkpoint(), Map.class));
        data.put("actor", event.actor());
        data.putAll(event.details());
        append(CloudEvents.message(event.id(), settings.source(), event.type(), event.checkpoint().id(), event.time(),
                data));
    }

    @Override
    public String toString() {
        return "registry webhook to " + settings.url();
    }
}
