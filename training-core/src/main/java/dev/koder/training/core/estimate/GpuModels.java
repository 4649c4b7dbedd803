package dev.koder.training.core.estimate;

import dev.koder.training.spi.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/** Known GPU models: memory and dense bf16 throughput, to size and scale estimates. */
public final class GpuModels {

    /**
     * @param type canonical name, for example {@code A100 80GB}
     * @param memoryGib memory per GPU
     * @param bf16Tflops dense bf16 (or fp16 where bf16 is absent) tensor throughput
     */
    public record GpuModel(String type, double memoryGib, double bf16Tflops) {
    }

    private record Entry(GpuModel model, List<String> words) {
    }

    private static final List<Entry> ENTRIES = load();

    private GpuModels() {
    }

    /**
     * @param name a GPU type from a spec ({@code H100}) or a device name ({@code NVIDIA H100 80GB HBM3})
     * @return the known model it names, if any
     */
    public static Optional<GpuModel> find(String name) {
        if (name == null) {
            return Optional.empty();
        }
        Set<String> tokens = new HashSet<>(Arrays.asList(name.toLowerCase(Locale.ROOT).split("[^a-z0-9]+")));
        for (Entry e : ENTRIES) {
            if (tokens.containsAll(e.words())) {
                return Optional.of(e.model());
            }
        }
        return Optional.empty();
    }

    /** @return the reference card of the throughput table */
    public static GpuModel reference() {
        return find("H100").orElseThrow();
    }

    private static List<Entry> load() {
        try (InputStream in = GpuModels.class.getResourceAsStream("gpu-models.json")) {
            List<Entry> out = new ArrayList<>();
            for (JsonNode n : Json.MAPPER.readTree(in)) {
                List<String> words = new ArrayList<>();
                n.get("words").forEach(w -> words.add(w.asString()));
                out.add(new Entry(new GpuModel(n.get("type").asString(), n.get("memory_gib").asDouble(),
                        n.get("bf16_tflops").asDouble()), words));
            }
            return List.copyOf(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
