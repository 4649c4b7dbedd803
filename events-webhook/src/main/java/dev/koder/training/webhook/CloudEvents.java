package dev.koder.training.webhook;

import dev.koder.training.spi.OutboxMessage;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * CloudEvents 1.0 in structured JSON mode: {@code specversion}, {@code id} (the idempotency key), {@code source},
 * {@code type} ({@value #TYPE_PREFIX} and the event's type), {@code subject}, {@code time}, {@code datacontenttype}
 * and {@code data}. The bytes are made once, when the event is appended, and sent as they are on every try.
 */
final class CloudEvents {

    /** Every event type starts with this. */
    static final String TYPE_PREFIX = "dev.koder.training.";

    static final JsonMapper JSON = JsonMapper.builder().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS).build();

    private CloudEvents() {
    }

    /**
     * @param key the event's id and idempotency key
     * @param source the CloudEvents source
     * @param type the event's type, without the prefix ({@code checkpoint.approved}, {@code usage.recorded})
     * @param subject what it is about
     * @param time when it happened
     * @param data its data, JSON-compatible
     * @return the outbox message holding the event's bytes
     */
    static OutboxMessage message(String key, String source, String type, String subject, Instant time,
            Map<String, Object> data) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("specversion", "1.0");
        e.put("id", key);
        e.put("source", source);
        e.put("type", TYPE_PREFIX + type);
        e.put("subject", subject);
        e.put("time", time.toString());
        e.put("datacontenttype", "application/json");
        e.put("data", data);
        return new OutboxMessage(key, type, subject, JSON.writeValueAsBytes(e), time);
    }
}
