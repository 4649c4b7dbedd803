package dev.koder.training.core.artifact;

import dev.koder.training.spi.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * The header of a safetensors file: 8 bytes of little-endian header length, a JSON object mapping tensor names
 * to dtype, shape and byte offsets, then the tensors' bytes. Read without loading any tensor; a truncated or
 * malformed file is refused with a message saying what is wrong.
 *
 * @param file the file
 * @param tensors tensor name to its description, in file order
 * @param metadata the optional {@code __metadata__} strings
 * @param dataBytes bytes of tensor data the header accounts for
 */
public record SafetensorsHeader(Path file, Map<String, Tensor> tensors, Map<String, String> metadata, long dataBytes) {

    /** Longest header accepted. */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    /**
     * @param dtype element type, for example {@code BF16}
     * @param shape dimensions
     * @param begin first byte in the data section
     * @param end byte after the last
     */
    public record Tensor(String dtype, List<Long> shape, long begin, long end) {

        /** @return the number of elements */
        public long elements() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    /** Copies the maps so the record stays immutable. */
    public SafetensorsHeader {
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        metadata = Map.copyOf(metadata);
    }

    /** @return the number of scalars over all tensors */
    public long parameters() {
        return tensors.values().stream().mapToLong(Tensor::elements).sum();
    }

    /**
     * @param file a .safetensors file
     * @return its header
     * @throws IOException when the file cannot be read, or is truncated or malformed (the message says how)
     */
    public static SafetensorsHeader read(Path file) throws IOException {
        long size = Files.size(file);
        if (size < 8) {
            throw new IOException(file + " is not a safetensors file: " + size + " bytes, shorter than the 8-byte "
                    + "header length");
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] lengthBytes = in.readNBytes(8);
            long length = ByteBuffer.wrap(lengthBytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (length <= 1 || length > MAX_HEADER_BYTES) {
                throw new IOException(file + " is not a safetensors file: its header length " + length
                        + " is out of range");
            }
            if (8 + length > size) {
                throw new IOException(file + " is truncated: its header says " + length + " bytes but the file has "
                        + (size - 8) + " after the length");
            }
            byte[] json = in.readNBytes((int) length);
            JsonNode root;
            try {
                root = Json.MAPPER.readTree(new String(json, StandardCharsets.UTF_8));
            } catch (RuntimeException e) {
                throw new IOException(file + " has a malformed safetensors header: " + e.getMessage(), e);
            }
            if (root == null || !root.isObject()) {
                throw new IOException(file + " has a malformed safetensors header: not a JSON object");
            }
            long dataSize = size - 8 - length;
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            long end = 0;
            for (var e : root.properties()) {
                if (e.getKey().equals("__metadata__")) {
                    e.getValue().properties().forEach(m -> metadata.put(m.getKey(), m.getValue().asString()));
                    continue;
                }
                Tensor t = tensor(file, e.getKey(), e.getValue());
                if (t.end() > dataSize) {
                    throw new IOException(file + " is truncated: tensor " + e.getKey() + " ends at byte " + t.end()
                            + " of the data section, which has " + dataSize);
                }
                end = Math.max(end, t.end());
                tensors.put(e.getKey(), t);
            }
            return new SafetensorsHeader(file, tensors, metadata, end);
        }
    }

    private static Tensor tensor(Path file, String name, JsonNode node) throws IOException {
        JsonNode offsets = node.get("data_offsets");
        JsonNode shape = node.get("shape");
        if (node.get("dtype") == null || shape == null || !shape.isArray() || offsets == null || !offsets.isArray()
                || offsets.size() != 2) {
            throw new IOException(file + " has a malformed safetensors header: tensor " + name
                    + " lacks dtype, shape or data_offsets");
        }
        List<Long> dims = new ArrayList<>();
        for (JsonNode d : shape) {
            if (!d.canConvertToLong() || d.asLong() < 0) {
                throw new IOException(file + ": tensor " + name + " has a bad shape " + shape);
            }
            dims.add(d.asLong());
        }
        long begin = offsets.get(0).asLong();
        long end = offsets.get(1).asLong();
        if (begin < 0 || end < begin) {
            throw new IOException(file + ": tensor " + name + " has bad offsets " + offsets);
        }
        return new Tensor(node.get("dtype").asString(), dims, begin, end);
    }
}
