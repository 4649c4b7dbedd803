package dev.koder.training.spi;

import java.util.Map;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/** The one configured JSON mapper of the SDK: strict on input (duplicate keys, unknown keys), ISO-8601 times. */
public final class Json {

    /** Strict mapper shared by the whole SDK; thread-safe. */
    public static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .build();

    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {
    };

    private Json() {
    }

    /** @param value any serialisable value @return compact JSON */
    public static String write(Object value) {
        return MAPPER.writeValueAsString(value);
    }

    /** @param value any serialisable value @return indented JSON with a final newline */
    public static String writePretty(Object value) {
        return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(value) + "\n";
    }

    /** @param json a JSON object @return it as a map of JSON-compatible values */
    public static Map<String, Object> readMap(String json) {
        return MAPPER.readValue(json, MAP);
    }

    /** @param node a JSON object node @return it as a map of JSON-compatible values */
    public static Map<String, Object> toMap(JsonNode node) {
        return MAPPER.convertValue(node, MAP);
    }
}
