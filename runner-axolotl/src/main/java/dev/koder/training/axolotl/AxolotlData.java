package dev.koder.training.axolotl;

import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The SDK's JSONL formats in the shapes axolotl reads, one line in, one line out, streamed, and the dataset
 * block that tells axolotl how to read each:
 *
 * <ul>
 *   <li>chat: OpenAI-style messages, read with {@code type: chat_template} and the tokenizer's own template,
 *       training on assistant turns; a message's {@code weight} becomes its {@code training} flag;</li>
 *   <li>prompt-completion: template-free segments ({@code type: input_output}), the loss on the completion;</li>
 *   <li>alpaca: as it is ({@code type: alpaca});</li>
 *   <li>preference (both layouts): the prompt's messages with one chosen and one rejected assistant message
 *       ({@code type: chat_template.default}).</li>
 * </ul>
 *
 * <p>The data was checked line by line when the job was submitted; a line that still cannot be read stops the
 * conversion with its file and line, and no half-written file is left (written beside, then moved).
 */
final class AxolotlData {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private AxolotlData() {
    }

    /**
     * Converts a dataset file and returns the block that reads it.
     *
     * @param ref the dataset
     * @param out where the converted file goes
     * @param pathInConfig how the config names that file
     * @param dpo whether the job is DPO
     * @return the dataset block
     * @throws IOException when a file cannot be read or written
     */
    static Map<String, Object> convert(DatasetRef ref, Path out, String pathInConfig, boolean dpo) throws IOException {
        Files.createDirectories(out.getParent());
        Path partial = out.resolveSibling(out.getFileName() + ".partial");
        Path in = Path.of(ref.path());
        try (BufferedReader r = Files.newBufferedReader(in, StandardCharsets.UTF_8);
                BufferedWriter w = Files.newBufferedWriter(partial, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = r.readLine()) != null) {
                number++;
                String text = number == 1 && line.startsWith("\uFEFF") ? line.substring(1) : line;
                if (text.isBlank()) {
                    continue;
                }
                JsonNode row;
                try {
                    row = JSON.readTree(text);
                } catch (RuntimeException e) {
                    throw new IOException(in + ":" + number + ": not valid JSON", e);
                }
                w.write(JSON.writeValueAsString(line(ref.format(), row, in, number)));
                w.write('\n');
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(partial);
            throw e;
        }
        Files.move(partial, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return block(ref.format(), pathInConfig, dpo);
    }

    static Map<String, Object> block(DatasetFormat format, String path, boolean dpo) {
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("path", path);
        b.put("ds_type", "json");
        b.put("split", "train");
        if (dpo) {
            b.put("type", "chat_template.default");
            b.put("field_messages", "messages");
            b.put("field_chosen", "chosen");
            b.put("field_rejected", "rejected");
            b.put("message_property_mappings", Map.of("role", "role", "content", "content"));
            b.put("roles", roles());
            return b;
        }
        switch (format) {
            case CHAT -> {
                b.put("type", "chat_template");
                b.put("field_messages", "messages");
                b.put("message_property_mappings", Map.of("role", "role", "content", "content"));
                b.put("message_field_training", "training");
                b.put("roles_to_train", List.of("assistant"));
                b.put("chat_template", "tokenizer_default");
            }
            case PROMPT_COMPLETION -> b.put("type", "input_output");
            case ALPACA -> b.put("type", "alpaca");
            default -> throw new IllegalArgumentException("axolotl reads " + format.wireName() + " data only for DPO");
        }
        return b;
    }

    private static Map<String, Object> roles() {
        Map<String, Object> roles = new LinkedHashMap<>();
        roles.put("system", List.of("system"));
        roles.put("user", List.of("user"));
        roles.put("assistant", List.of("assistant"));
        return roles;
    }

    private static JsonNode line(DatasetFormat format, JsonNode row, Path file, int number) throws IOException {
        ObjectNode out = JSON.createObjectNode();
        switch (format) {
            case CHAT -> out.set("messages", messages(row.path("messages"), true));
            case PROMPT_COMPLETION -> {
                ArrayNode segments = out.putArray("segments");
                segments.addObject().put("label", false).put("text", text(row, "prompt", file, number));
                segments.addObject().put("label", true).put("text", text(row, "completion", file, number));
            }
            case ALPACA -> {
                out.put("instruction", text(row, "instruction", file, number));
                out.put("input", row.path("input").asString(""));
                out.put("output", text(row, "output", file, number));
            }
            case PREFERENCE -> {
                if (row.has("input")) {
                    out.set("messages", messages(row.path("input").path("messages"), false));
                    out.set("chosen", messages(row.path("preferred_output"), false).get(0));
                    out.set("rejected", messages(row.path("non_preferred_output"), false).get(0));
                } else {
                    out.putArray("messages").addObject().put("role", "user")
                            .put("content", text(row, "prompt", file, number));
                    out.putObject("chosen").put("role", "assistant").put("content", text(row, "chosen", file, number));
                    out.putObject("rejected").put("role", "assistant")
                            .put("content", text(row, "rejected", file, number));
                }
            }
            default -> throw new IOException(file + ":" + number + ": unknown format " + format);
        }
        return out;
    }

    private static String text(JsonNode row, String field, Path file, int number) throws IOException {
        JsonNode v = row.get(field);
        if (v == null || !v.isString()) {
            throw new IOException(file + ":" + number + ": /" + field + " must be a string");
        }
        return v.asString();
    }

    /** Messages with role and content only, text parts joined; with {@code training} from weight when asked. */
    private static ArrayNode messages(JsonNode list, boolean training) {
        ArrayNode out = JSON.createArrayNode();
        for (JsonNode m : list) {
            ObjectNode o = out.addObject().put("role", m.path("role").asString());
            JsonNode content = m.path("content");
            if (content.isArray()) {
                StringBuilder b = new StringBuilder();
                content.forEach(part -> b.append(part.path("text").asString("")));
                o.put("content", b.toString());
            } else {
                o.put("content", content.asString(""));
            }
            if (training) {
                boolean assistant = o.path("role").asString().equals("assistant");
                o.put("training", assistant && m.path("weight").asInt(1) != 0);
            }
        }
        return out;
    }
}
