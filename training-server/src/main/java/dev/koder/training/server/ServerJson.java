package dev.koder.training.server;

import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/** The server's JSON: strict on input (a duplicate key is an error), ISO-8601 times in native objects. */
final class ServerJson {

    static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .build();

    private ServerJson() {
    }

    /** @param value any serialisable value @return compact JSON */
    static String write(Object value) {
        return MAPPER.writeValueAsString(value);
    }
}
