package dev.koder.training.core.registry;

import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.CheckpointFormat;
import dev.koder.training.core.artifact.SafetensorsHeader;
import dev.koder.training.spi.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;

/**
 * Reads what a checkpoint folder holds, in Java: a PEFT adapter ({@code adapter_config.json}: type, rank,
 * alpha, target modules) or a whole model ({@code config.json}), and the tensor count and bytes of every
 * {@code .safetensors} file from its header. A truncated or malformed file is refused with the file and what
 * is wrong.
 */
public final class ArtifactInspector {

    /** A checkpoint folder that cannot be registered. */
    public static final class InvalidArtifactException extends IOException {
        private static final long serialVersionUID = 1L;

        InvalidArtifactException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * What was found.
     *
     * @param format adapter or whole model
     * @param artifact the figures
     */
    public record Inspection(CheckpointFormat format, Checkpoint.Artifact artifact) {
    }

    private ArtifactInspector() {
    }

    /**
     * @param dir a checkpoint folder
     * @return its format and figures
     * @throws InvalidArtifactException when it holds neither an adapter nor a model, or a file is malformed
     */
    public static Inspection inspect(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new InvalidArtifactException(dir + " is not a folder", null);
        }
        long tensors = 0;
        long bytes = 0;
        List<Path> weights;
        try (Stream<Path> files = Files.list(dir)) {
            weights = files.filter(f -> f.getFileName().toString().endsWith(".safetensors")).sorted().toList();
        }
        for (Path w : weights) {
            SafetensorsHeader h;
            try {
                h = SafetensorsHeader.read(w);
            } catch (IOException e) {
                throw new InvalidArtifactException("cannot register " + dir + ": " + e.getMessage(), e);
            }
            tensors += h.tensors().size();
            bytes += h.dataBytes();
        }
        Path adapter = dir.resolve("adapter_config.json");
        if (Files.isRegularFile(adapter)) {
            JsonNode c = readJson(adapter);
            if (weights.stream().noneMatch(w -> w.getFileName().toString().startsWith("adapter_model"))) {
                throw new InvalidArtifactException("cannot register " + dir + ": it has adapter_config.json but no "
                        + "adapter_model.safetensors", null);
            }
            String type = c.path("peft_type").isString() ? c.get("peft_type").asString() : null;
            Integer rank = c.path("r").canConvertToInt() ? c.get("r").asInt() : null;
            Double alpha = c.path("lora_alpha").isNumber() ? c.get("lora_alpha").asDouble() : null;
            List<String> targets = null;
            JsonNode t = c.get("target_modules");
            if (t != null && t.isArray()) {
                targets = new ArrayList<>();
                for (JsonNode m : t) {
                    targets.add(m.asString());
                }
                targets.sort(null);
            } else if (t != null && t.isString()) {
                targets = List.of(t.asString());
            }
            if (type == null) {
                throw new InvalidArtifactException("cannot register " + dir + ": " + adapter.getFileName()
                        + " has no peft_type", null);
            }
            return new Inspection(CheckpointFormat.PEFT_ADAPTER, new Checkpoint.Artifact(tensors, bytes, type, rank,
                    alpha, targets));
        }
        Path config = dir.resolve("config.json");
        if (Files.isRegularFile(config)) {
            readJson(config);
            if (weights.isEmpty()) {
                throw new InvalidArtifactException("cannot register " + dir + ": it has config.json but no "
                        + ".safetensors weights", null);
            }
            return new Inspection(CheckpointFormat.FULL_MODEL, new Checkpoint.Artifact(tensors, bytes, null, null,
                    null, null));
        }
        throw new InvalidArtifactException("cannot register " + dir + ": it holds neither adapter_config.json (a PEFT "
                + "adapter) nor config.json (a model)", null);
    }

    private static JsonNode readJson(Path file) throws IOException {
        try {
            JsonNode n = Json.MAPPER.readTree(Files.readString(file));
            if (n == null || !n.isObject()) {
                throw new InvalidArtifactException(file + " is not a JSON object", null);
            }
            return n;
        } catch (RuntimeException e) {
            throw new InvalidArtifactException(file + " is not valid JSON: " + e.getMessage(), e);
        }
    }
}
