package dev.koder.training.webhook;

import dev.koder.training.spi.PluginConfig;
import dev.koder.training.spi.RegistryEvent;
import dev.koder.training.spi.RegistryListener;
import dev.koder.training.spi.RegistryListenerProvider;
import dev.koder.training.spi.UsageRecord;
import dev.koder.training.spi.UsageSink;
import dev.koder.training.spi.UsageSinkProvider;
import java.time.Clock;

/** The webhooks' providers for {@code ServiceLoader}: each is off (does nothing) until its {@code .url} is set. */
public final class WebhookProviders {

    /** Settings of the registry receiver. */
    public static final String REGISTRY_PREFIX = "training.webhook.registry";
    /** Settings of the usage receiver. */
    public static final String USAGE_PREFIX = "training.webhook.usage";

    private WebhookProviders() {
    }

    /** Makes the registry webhook, or a listener that does nothing without {@code training.webhook.registry.url}. */
    public static final class Registry implements RegistryListenerProvider {
        @Override
        public String name() {
            return "webhook";
        }

        @Override
        public RegistryListener create(PluginConfig config) {
            return WebhookSettings.from(config, REGISTRY_PREFIX).<RegistryListener>map(s -> new WebhookRegistrySink(s,
                    Clock.systemUTC())).orElse(new RegistryListener() {
                        @Override
                        public void onRegistryEvent(RegistryEvent event) {
                        }

                        @Override
                        public String toString() {
                            return "registry webhook (off: no " + REGISTRY_PREFIX + ".url)";
                        }
                    });
        }
    }

    /** Makes the usage webhook, or a sink that does nothing without {@code training.webhook.usage.url}. */
    public static final class Usage implements UsageSinkProvider {
        @Override
        public String name() {
            return "webhook";
        }

        @Override
        public UsageSink create(PluginConfig config) {
            return WebhookSettings.from(config, USAGE_PREFIX).<UsageSink>map(s -> new WebhookUsageSink(s,
                    Clock.systemUTC())).orElse(new UsageSink() {
                        @Override
                        public void record(UsageRecord usage) {
                        }

                        @Override
                        public String toString() {
                            return "usage webhook (off: no " + USAGE_PREFIX + ".url)";
                        }
                    });
        }
    }
}
