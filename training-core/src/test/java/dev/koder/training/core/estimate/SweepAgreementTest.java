package dev.koder.training.core.estimate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.AdapterType;
import dev.koder.training.api.CostEstimate;
import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.DatasetStats;
import dev.koder.training.api.DpoConfig;
import dev.koder.training.api.Hyperparameters;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.Resources;
import dev.koder.training.api.TrainingMethod;
import dev.koder.training.spi.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The estimate against every point of the GPU sweep (benchmarks/gpu/sweep-plan.json, measured on an H200 with
 * the TRL runner's trainer): model shapes from 0.5B to 7B, micro-steps from 496 to 16,253 tokens, gradient
 * checkpointing on and off, SFT (LoRA and full) and DPO.
 */
class SweepAgreementTest {

    static final Path PLAN = Path.of("../benchmarks/gpu/sweep-plan.json");

    @TempDir
    Path dir;

    record Row(JsonNode point, CostEstimate estimate, double throughputRatio, double memoryRatio) {
        String describe() {
            JsonNode p = point;
            return String.format(Locale.ROOT, "%-12s %-4s seq %4d x mb %d gc %-5s tokens/s %,7.0f est %,7.0f (x%.2f) "
                    + "peak %5.2f est %5.2f GiB (x%.2f)", p.get("model").asString(), p.get("method").asString(),
                    p.get("seq").asInt(), p.get("micro_batch").asInt(), p.get("grad_ckpt").asBoolean(),
                    p.get("tokens_per_s").asDouble(), estimate.tokensPerSecond(), throughputRatio,
                    p.get("peak_gib").asDouble(), estimate.memory().total(), memoryRatio);
        }
    }

    List<Row> rows() throws IOException {
        JsonNode models = Json.MAPPER.readTree(Files.readString(PLAN)).get("models");
        Estimator estimator = new Estimator(Estimator.Pricing.NONE);
        List<Row> rows = new ArrayList<>();
        for (JsonNode p : new Estimator(Estimator.Pricing.NONE).table().sweep) {
            ModelShape shape = shape(p.get("model").asString(), models.get(p.get("model").asString()));
            boolean dpo = p.get("method").asString().equals("dpo");
            TrainingMethod method = dpo ? TrainingMethod.dpo(AdapterType.LORA, DpoConfig.defaults())
                    : p.get("method").asString().equals("full") ? TrainingMethod.sftFull() : TrainingMethod.sftLora();
            int micro = p.get("micro_batch").asInt();
            JobSpec spec = JobSpec.builder().name("sweep").tenant("t").baseModel("/m").method(method)
                    .hyperparameters(Hyperparameters.builder().maxSteps(10).batchSize(micro).microBatchSize(micro)
                            .maxSeqLength(p.get("seq").asInt()).gradientCheckpointing(p.get("grad_ckpt").asBoolean())
                            .build())
                    .trainingData(DatasetRef.of("/d.jsonl", dpo ? DatasetFormat.PREFERENCE : DatasetFormat.CHAT))
                    .resources(Resources.builder().gpus(1).build()).build();
            long perSequence = Math.round(p.get("micro_step_tokens").asDouble() / (micro * (dpo ? 2 : 1)));
            DatasetStats stats = new DatasetStats(100, 200, 100 * perSequence * 4, 100 * perSequence, true, perSequence,
                    0, 100 * (dpo ? 2 : 1), 100 * perSequence * (dpo ? 2 : 1));
            CostEstimate e = estimator.estimate(spec, stats, shape, "NVIDIA H200", 139.8, List.of());
            rows.add(new Row(p, e, p.get("tokens_per_s").asDouble() / e.tokensPerSecond(),
                    p.get("peak_gib").asDouble() / e.memory().total()));
        }
        return rows;
    }

    ModelShape shape(String name, JsonNode m) throws IOException {
        Path d = dir.resolve(name);
        Files.createDirectories(d);
        Files.writeString(d.resolve("config.json"), Json.MAPPER.writeValueAsString(Map.of("model_type",
                m.get("model_type").asString(), "hidden_size", m.get("hidden").asInt(), "num_hidden_layers",
                m.get("layers").asInt(), "num_attention_heads", m.get("heads").asInt(), "num_key_value_heads",
                m.get("kv_heads").asInt(), "intermediate_size", m.get("intermediate").asInt(), "vocab_size",
                m.get("vocab_size").asInt(), "tie_word_embeddings", false)));
        return ModelShape.read(d);
    }

    @Test
    void everySweepPoint_isEstimatedWithinAThirdForThroughput_andMemoryIsNeverMoreThan6PercentLow() throws IOException {
        List<Row> rows = rows();
        assertThat(rows).hasSizeGreaterThanOrEqualTo(12);
        for (Row r : rows) {
            System.out.println(r.describe());
            assertThat(r.throughputRatio()).as(r.describe()).isBetween(0.75, 1.35);
            assertThat(r.memoryRatio()).as(r.describe()).isBetween(0.7, 1.06);
        }
        assertThat(rows).extracting(r -> r.point().get("grad_ckpt").asBoolean()).contains(true, false);
        assertThat(rows).extracting(r -> r.point().get("method").asString()).contains("lora", "full", "dpo");
    }

    @Test
    void smallMicroSteps_areNoLongerEstimatedTwiceAsFastAsTheyRun() throws IOException {
        // The case the old saturation curve got wrong: a 7B full fine-tune at micro-batch 1 x 1,024 tokens, and
        // a 0.85B LoRA at 496 tokens a micro-step.
        for (Row r : rows()) {
            if (r.point().get("micro_step_tokens").asInt() < 1100) {
                assertThat(r.throughputRatio()).as(r.describe()).isBetween(0.8, 1.25);
                assertThat(r.estimate().basis()).contains("fixed overhead");
            }
        }
    }

    @Test
    void theBreakdownNamesTheMeasuredPointsItInterpolatesBetween() throws IOException {
        Row qwen = rows().stream().filter(r -> r.point().get("model").asString().startsWith("qwen2")).findFirst()
                .orElseThrow();
        assertThat(qwen.estimate().basis()).contains("between the measured points at 0.13B").contains(
                "and 0.85B (27,170, NVIDIA H200 TRL runner)");
        assertThat(qwen.estimate().breakdown()).anySatisfy(l -> assertThat(l).contains(
                "TRL's chunked loss: 256 tokens at a time"));
    }
}
