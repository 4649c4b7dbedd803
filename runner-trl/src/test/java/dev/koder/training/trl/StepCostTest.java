package dev.koder.training.trl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The lean SFT step (step_cost.py) against TRL's own step on the tiny model, in float32 on the CPU (the script:
 * src/test/resources/batching/lean_steps.py): the same run logs the same loss, gradient norm, token accuracy and
 * tokens seen, saves the same token count in its checkpoint, ends with the same weights, reports no entropy, and
 * reads fewer values back from the device a micro-step.
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
        assertThat(r.get("lean").get("class").asString()).isEqualTo("LeanSFTTrainer");
        JsonNode trl = r.get("trl").get("logs");
        JsonNode lean = r.get("lean").get("logs");
        assertThat(lean.size()).isEqualTo(6).isEqualTo(trl.size());
        for (int i = 0; i < trl.size(); i++) {
            JsonNode a = trl.get(i);
            JsonNode b = lean.get(i);
            String at = "step " + a.get("step").asInt();
            assertThat(b.get("loss").asDouble()).as(at).isCloseTo(a.get("loss").asDouble(), within(1e-5));
            assertThat(b.get("grad_norm").asDouble()).as(at).isCloseTo(a.get("grad_norm").asDouble(), within(1e-4));
            assertThat(b.get("mean_token_accuracy").asDouble()).as(at)
                    .isCloseTo(a.get("mean_token_accuracy").asDouble(), within(1e-6));
            assertThat(b.get("tokens").asLong()).as(at + ": tokens seen").isEqualTo(a.get("tokens").asLong())
                    .isPositive();
            assertThat(a.get("entropy").isNull()).as("TRL reports entropy").isFalse();
            assertThat(b.get("entropy").isNull()).as(at + ": the SDK does not report entropy").isTrue();
        }
        assertThat(r.get("lean").get("checkpoint_tokens").asLong()).as("tokens in checkpoint-3's trainer state")
                .isEqualTo(r.get("trl").get("checkpoint_tokens").asLong()).isEqualTo(trl.get(2).get("tokens").asLong());
        assertThat(r.get("weights_relative_difference").asDouble()).isLessThan(1e-5);
        double trlReads = r.get("trl").get("reads_per_micro_step").asDouble();
        double leanReads = r.get("lean").get("reads_per_micro_step").asDouble();
        assertThat(leanReads).as("values read from the device a micro-step, TRL's step: " + trlReads)
                .isLessThanOrEqualTo(trlReads - 4);
    }
}
