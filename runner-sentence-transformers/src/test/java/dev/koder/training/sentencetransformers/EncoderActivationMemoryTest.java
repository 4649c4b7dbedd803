package dev.koder.training.sentencetransformers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.core.estimate.ActivationMemory;
import dev.koder.training.core.estimate.ModelShape;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The estimate's activation memory for encoders against an exact count of what PyTorch keeps for backward
 * (saved-tensor hooks, once per storage, parameters left out) on real CPU tensors at the real widths of BERT-base and
 * ModernBERT-base, one and two layers, scaled to the model's layer count: full and LoRA, with and without gradient
 * checkpointing, at two micro-batch x sequence shapes. Every point must be within 15% of the count and never more than
 * 5% below, as for decoders.
 */
class EncoderActivationMemoryTest {

    static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path dir;

    /** Published widths of BERT-base and ModernBERT-base (a small vocabulary: an encoder's loss is not over it). */
    static final Map<String, Map<String, Object>> FAMILIES = new LinkedHashMap<>();

    static {
        FAMILIES.put("bert", Map.of("model_type", "bert", "hidden_size", 768, "intermediate_size", 3072,
                "num_attention_heads", 12, "vocab_size", 1000, "num_hidden_layers", 12));
        FAMILIES.put("modernbert", Map.of("model_type", "modernbert", "hidden_size", 768, "intermediate_size", 1152,
                "num_attention_heads", 12, "vocab_size", 1000, "num_hidden_layers", 22));
    }

    static ModelShape shape(Map<String, Object> c) {
        int hidden = (Integer) c.get("hidden_size");
        int heads = (Integer) c.get("num_attention_heads");
        return new ModelShape(0, false, hidden, (Integer) c.get("num_hidden_layers"), heads, heads,
                (Integer) c.get("intermediate_size"), (Integer) c.get("vocab_size"), false, "test",
                (String) c.get("model_type"), hidden / heads);
    }

    @Test
    void theFormula_isWithin15PercentOfTheExactCount_andNeverMoreThan5PercentBelow() throws Exception {
        List<Map<String, Object>> points = new ArrayList<>();
        for (Map.Entry<String, Map<String, Object>> f : FAMILIES.entrySet()) {
            for (String method : List.of("full", "lora")) {
                for (boolean checkpointing : List.of(false, true)) {
                    for (int[] bs : new int[][] {{1, 64}, {4, 96}}) {
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
        Path script = dir.resolve("saved_tensors_encoder.py");
        try (InputStream in = getClass().getResourceAsStream("/activation/saved_tensors_encoder.py")) {
            Files.copy(in, script);
        }
        Path python = TinyEncoders.get().runner.python().environment(line -> { }).python();
        Process proc = new ProcessBuilder(python.toString(), script.toString(), input.toString()).directory(dir.toFile())
                .redirectError(dir.resolve("count.log").toFile()).start();
        proc.getOutputStream().close();
        String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(proc.waitFor(10, TimeUnit.MINUTES)).as("the count ran within 10 minutes").isTrue();
        assertThat(proc.exitValue()).as(Files.readString(dir.resolve("count.log"))).isZero();
        JsonNode counts = JSON.readTree(out.lines().filter(l -> l.startsWith("[")).reduce((a, b) -> b).orElseThrow());
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
            String line = String.format(Locale.ROOT, "%-10s %-4s %-5s %5d tokens: counted %,.0f, estimated %,.0f "
                    + "(%.3f)", family, p.get("method"), gc ? "gc" : "no-gc", tokens, counted, estimated, ratio);
            report.add(line);
            if (ratio > 1.15 || ratio < 0.95) {
                failures.add(line);
            }
        }
        System.out.println(String.join("\n", report));
        assertThat(failures).as(String.join("\n", report)).isEmpty();
    }
}
