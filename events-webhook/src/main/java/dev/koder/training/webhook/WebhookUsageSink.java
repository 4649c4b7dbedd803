package dev.koder.training.webhook;

import dev.koder.training.spi.UsageRecord;
import dev.koder.training.spi.UsageSink;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Posts one GPU-hour usage record per trainer attempt to a billing receiver, as a CloudEvent of type
 * {@code dev.koder.training.usage.recorded} keyed {@code usage/<job>/<attempt>}: tenant, tier, job, attempt, GPU
 * type and count, GPU-hours, seconds, tokens, outcome, and the price and cost when the home sets a price. Set up
 * with {@code training.webhook.usage.*}.
 */
public final class WebhookUsageSink extends WebhookSink implements UsageSink {

    /** The event type, without the CloudEvents prefix. */
    static final String TYPE = "usage.recorded";

    WebhookUsageSink(WebhookSettings settings, Clock clock) {
        super("webhook-usage", settings, clock);
    }

    @Override
    public void record(UsageRecord u) {
        append(CloudEvents.message(u.key(), settings.source(), TYPE, u.jobId(), u.endedAt(), data(u)));
    }

    /** @param u a record @return its data, as receivers get it */
    static Map<String, Object> data(UsageRecord u) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("tenant", u.tenant());
        d.put("tier", u.tier() == null ? null : u.tier().wireName());
        d.put("job_id", u.jobId());
        d.put("attempt", u.attempt());
        d.put("gpu_type", u.gpuType());
        d.put("gpus", u.gpus());
        d.put("gpu_hours", u.gpuHours());
        d.put("gpu_seconds", u.gpuSeconds());
        d.put("wall_seconds", u.wallSeconds());
        d.put("tokens", u.tokens());
        d.put("started_at", u.startedAt().toString());
        d.put("ended_at", u.endedAt().toString());
        d.put("outcome", u.outcome().wireName());
        d.put("price_per_gpu_hour", u.pricePerGpuHour());
        d.put("cost", u.cost());
        d.put("currency", u.currency());
        return d;
    }

    @Override
    public String toString() {
        return "usage webhook to " + settings.url();
    }
}
