package dev.koder.training.trl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The lean SFT and DPO steps (step_cost.py) against TRL's own steps on the tiny model, in float32 on the CPU (the
 * script: src/test/resources/batching/lean_steps.py): the same run logs the same loss, gradient norm, token accuracy
 * (and for DPO rewards) and tokens seen, saves the same token count in its checkpoint, ends with the same weights,
 * reports no entropy, and reads fewer values back from the device a micro-step.
 */
class StepCostTest {

    static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path dir;

    @Test
    void theLeanStep_trainsAndLogsAsTrlsStep_withFewerReadsFromTheDevice() throws Exception {
        Path out = TinyWorld.get().script(dir, "/batching/lean_steps.py");
        JsonNode r = JSON.readTree(Files.readString(out));

        assertThat(r.get("patched").asBoolean()).as("the pinned TRL's chunked loss is the one step_cost knows")
                .isTrue();
        assertThat(r.get("trl").get("class").asString()).isEqualTo("SFTTrainer");
        assertThat(r.get("lean").get("class").asString()).isEqualTo("LeanSFTTrainer");
        assertSameRun(r, "sft", List.of("mean_token_accuracy"), 4);
    }

    @Test
    void theLeanDpoStep_trainsAndLogsAsTrlsStep_asAnAdapterAndInFull_withFewerReadsFromTheDevice() throws Exception {
        Path out = TinyWorld.get().script(dir, "/batching/lean_steps.py", TinyWorld.PREFS, "dpo");
        JsonNode r = JSON.readTree(Files.readString(out));
        for (String kind : List.of("lora", "full")) {
            JsonNode run = r.get(kind);
            assertThat(run.get("trl").get("class").asString()).isEqualTo("DPOTrainer");
            assertThat(run.get("lean").get("class").asString()).isEqualTo("LeanDPOTrainer");
            assertSameRun(run, "dpo " + kind, List.of("rewards/chosen", "rewards/rejected", "rewards/margins",
                    "rewards/accuracies", "logps/chosen", "logps/rejected", "mean_token_accuracy"), 10);
            JsonNode lean = run.get("lean").get("logs");
            assertThat(lean.get(5).get("rewards/margins").asDouble()).as(kind + ": DPO learned").isPositive();
            for (JsonNode b : lean) {
                assertThat(b.get("logits/chosen").isNull()).as(kind + ": the SDK does not compute the mean logit")
                        .isTrue();
            }
        }
    }

    /**
     * A run's TRL and lean halves: the same loss, gradient norm, metrics and tokens seen at each of the 6 steps,
     * the same tokens in checkpoint-3's trainer state, the same final weights, no entropy from the lean step, and
     * at least readsSaved fewer values read from the device a micro-step.
     */
    private static void assertSameRun(JsonNode run, String what, List<String> metrics, double readsSaved) {
        JsonNode trl = run.get("trl").get("logs");
        JsonNode lean = run.get("lean").get("logs");
        assertThat(lean.size()).as(what).isEqualTo(6).isEqualTo(trl.size());
        for (int i = 0; i < trl.size(); i++) {
            JsonNode a = trl.get(i);
            JsonNode b = lean.get(i);
            String at = what + ", step " + a.get("step").asInt();
            assertThat(b.get("loss").asDouble()).as(at).isCloseTo(a.get("loss").asDouble(), within(1e-5));
            assertThat(b.get("grad_norm").asDouble()).as(at).isCloseTo(a.get("grad_norm").asDouble(), within(1e-4));
            for (String metric : metrics) {
                assertThat(b.get(metric).isNull()).as(at + ": " + metric).isFalse();
                assertThat(b.get(metric).asDouble()).as(at + ": " + metric)
                        .isCloseTo(a.get(metric).asDouble(), within(1e-5));
            }
            assertThat(b.get("tokens").asLong()).as(at + ": tokens seen").isEqualTo(a.get("tokens").asLong())
                    .isPositive();
            assertThat(a.get("entropy").isNull()).as("TRL reports entropy").isFalse();
            assertThat(b.get("entropy").isNull()).as(at + ": the SDK does not report entropy").isTrue();
        }
        assertThat(run.get("lean").get("checkpoint_tokens").asLong()).as(what + ": tokens in checkpoint-3")
                .isEqualTo(run.get("trl").get("checkpoint_tokens").asLong())
                .isEqualTo(trl.get(2).get("tokens").asLong());
        assertThat(run.get("weights_relative_difference").asDouble()).as(what).isLessThan(1e-5);
        double trlReads = run.get("trl").get("reads_per_micro_step").asDouble();
        double leanReads = run.get("lean").get("reads_per_micro_step").asDouble();
        assertThat(leanReads).as(what + ": values read from the device a micro-step, TRL's step: " + trlReads)
                .isLessThanOrEqualTo(trlReads - readsSaved);
    }
}
