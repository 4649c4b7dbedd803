package dev.koder.training.trl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.core.estimate.ActivationMemory;
import dev.koder.training.core.estimate.ModelShape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The activation-memory formula against an exact count of what PyTorch keeps for backward (saved-tensor hooks,
 * once per storage, parameters left out) on real CPU tensors at the real widths of four families' models, one and
 * two layers, scaled to the model's layer count: full and LoRA, with and without gradient checkpointing, at
 * several micro-batch x sequence shapes. Every point must be within 15% of the count and never more than 5% below.
 */
class ActivationMemoryTest {

    static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path dir;

    /** Published configs: Llama 3.2 1B, Qwen2.5 0.5B, Gemma 2B, Phi-2. */
    static final Map<String, Map<String, Object>> FAMILIES = new LinkedHashMap<>();

    static {
        FAMILIES.put("llama", Map.of("model_type", "llama", "hidden_size", 2048, "intermediate_size", 8192,
                "num_attention_heads", 32, "num_key_value_heads", 8, "vocab_size", 128256, "num_hidden_layers", 16));
        FAMILIES.put("qwen2", Map.of("model_type", "qwen2", "hidden_size", 896, "intermediate_size", 4864,
                "num_attention_heads", 14, "num_key_value_heads", 2, "vocab_size", 151936, "num_hidden_layers", 24));
        FAMILIES.put("gemma", Map.of("model_type", "gemma", "hidden_size", 2048, "intermediate_size", 16384,
                "num_attention_heads", 8, "num_key_value_heads", 1, "head_dim", 256, "vocab_size", 256000,
                "num_hidden_layers", 18));
        FAMILIES.put("phi", Map.of("model_type", "phi", "hidden_size", 2560, "intermediate_size", 10240,
                "num_attention_heads", 32, "num_key_value_heads", 32, "vocab_size", 51200, "num_hidden_layers", 32,
                "partial_rotary_factor", 0.4));
    }

    static ModelShape shape(Map<String, Object> c) {
        int hidden = (Integer) c.get("hidden_size");
        int heads = (Integer) c.get("num_attention_heads");
        int headDim = c.containsKey("head_dim") ? (Integer) c.get("head_dim") : hidden / heads;
        return new ModelShape(0, false, hidden, (Integer) c.get("num_hidden_layers"), heads,
                (Integer) c.get("num_key_value_heads"), (Integer) c.get("intermediate_size"),
                (Integer) c.get("vocab_size"), false, "test", (String) c.get("model_type"), headDim);
    }

    @Test
    void theFormula_isWithin15PercentOfTheExactCount_andNeverMoreThan5PercentBelow() throws Exception {
        List<Map<String, Object>> points = new ArrayList<>();
        for (Map.Entry<String, Map<String, Object>> f : FAMILIES.entrySet()) {
            for (String method : List.of("full", "lora")) {
                for (boolean checkpointing : List.of(false, true)) {
                    for (int[] bs : new int[][] {{1, 64}, {2, 96}}) {
                        Map<String, Object> config = new LinkedHashMap<>(f.getValue());
                        config.remove("num_hidden_layers");
                        points.add(Map.of("config", config, "method", method, "checkpointing", checkpointing,
                                "micro_batch", bs[0], "seq", bs[1]));
                    }
                }
            }
        }
        Path input = dir.resolve("points.json");
        Files.writeString(input, JSON.writeValueAsString(points));
        Path script = dir.resolve("saved_tensors.py");
        try (var in = getClass().getResourceAsStream("/activation/saved_tensors.py")) {
            Files.copy(in, script);
        }
        Path python = TinyWorld.get().runner.python().environment(line -> { }).python();
        Process proc = new ProcessBuilder(python.toString(), script.toString(), input.toString()).directory(dir.toFile())
                .redirectError(dir.resolve("count.log").toFile()).start();
        proc.getOutputStream().close();
        String out = new String(proc.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(proc.waitFor(10, java.util.concurrent.TimeUnit.MINUTES)).as("the count ran within 10 minutes").isTrue();
        assertThat(proc.exitValue()).as(Files.readString(dir.resolve("count.log"))).isZero();
        String json = out.lines().filter(l -> l.startsWith("[")).reduce((a, b) -> b).orElseThrow();
        JsonNode counts = JSON.readTree(json);
        List<String> report = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        for (int k = 0; k < points.size(); k++) {
            Map<String, Object> p = points.get(k);
            String family = (String) ((Map<?, ?>) p.get("config")).get("model_type");
            ModelShape m = shape(FAMILIES.get(family));
            boolean lora = p.get("method").equals("lora");
            boolean gc = (Boolean) p.get("checkpointing");
            long tokens = (long) (Integer) p.get("micro_batch") * (Integer) p.get("seq");
            JsonNode c = counts.get(k);
            double layer = c.get("layer").asDouble();
            double recompute = c.get("recompute_layer").asDouble();
            double rest = c.get("rest_per_token").asDouble() * tokens;
            double counted = gc ? m.layers() * layer + recompute + rest : m.layers() * layer + rest;
            double estimated = ActivationMemory.of(m, lora, List.of("all-linear"), 16, 2).bytes(tokens, m.layers(), gc);
            double ratio = estimated / counted;
            String line = String.format(Locale.ROOT, "%-6s %-4s %-5s %5d tokens: counted %,.0f, estimated %,.0f (%.3f)",
                    family, p.get("method"), gc ? "gc" : "no-gc", tokens, counted, estimated, ratio);
            report.add(line);
            if (ratio > 1.15 || ratio < 0.95) {
                failures.add(line);
            }
        }
        System.out.println(String.join("\n", report));
        assertThat(failures).as(String.join("\n", report)).isEmpty();
    }
}
