package dev.koder.training.webhook;

import dev.koder.training.spi.PluginConfig;
import dev.koder.training.spi.UsageSink;
import dev.koder.training.tck.UsageSinkCompatibilityKit;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import tools.jackson.databind.JsonNode;

/** The usage webhook against the kit, posting to the test's receiver (which checks every signature). */
class WebhookUsageSinkKitTest extends UsageSinkCompatibilityKit {

    private final Receiver receiver;

    WebhookUsageSinkKitTest() throws IOException {
        receiver = new Receiver(Service.KEY);
    }

    @AfterEach
    void stopReceiver() {
        receiver.stop();
    }

    @Override
    protected UsageSink createSink() {
        return new WebhookProviders.Usage().create(new PluginConfig(Path.of("/tmp/kit-home"), Map.of(
                WebhookProviders.USAGE_PREFIX + ".url", receiver.url("/usage"),
                WebhookProviders.USAGE_PREFIX + ".secret", Service.SECRET,
                WebhookProviders.USAGE_PREFIX + ".timeout", "PT1S")));
    }

    @Override
    protected List<Delivered> delivered() {
        synchronized (receiver) {
            if (!receiver.badSignatures.isEmpty()) {
                throw new AssertionError("requests with a bad signature: " + receiver.badSignatures);
            }
            return receiver.events(".usage.recorded").stream().map(e -> {
                JsonNode d = e.get("data");
                return new Delivered(e.get("id").asString(), d.get("tenant").asString(), d.get("tier").asString(null),
                        d.get("job_id").asString(), d.get("attempt").asInt(), d.get("gpu_type").asString(),
                        d.get("gpus").asInt(), d.get("gpu_hours").asDouble(), number(d, "price_per_gpu_hour"),
                        number(d, "cost"), d.get("currency").asString());
            }).toList();
        }
    }

    private static Double number(JsonNode d, String key) {
        return d.get(key) == null || d.get(key).isNull() ? null : d.get(key).asDouble();
    }

    @Override
    protected boolean supportsOutage() {
        return true;
    }

    @Override
    protected void outage(boolean down) {
        if (down) {
            receiver.stop();
        } else {
            try {
                receiver.start();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
