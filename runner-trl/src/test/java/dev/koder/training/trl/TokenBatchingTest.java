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
 * Micro-steps by tokens (token_batching.py) against the padded baseline on the tiny model, in float32 on the CPU
 * (the script: src/test/resources/batching/exactness.py): one step of 12 examples of 17 to 102 tokens cut into
 * micro-steps of at most 204 padded tokens gives the padded step's loss and gradient, and every example's loss is
 * the same in its micro-step, in the padded batch and alone.
 */
class TokenBatchingTest {

    static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path dir;

    @Test
    void aStepCutIntoTokenMicroSteps_hasThePaddedStepsLossAndGradient() throws Exception {
        JsonNode r = run();
        assertThat(r.get("groups").size()).as("several micro-steps").isGreaterThan(2);
        for (JsonNode padded : r.get("group_padded_tokens")) {
            assertThat(padded.asInt()).isLessThanOrEqualTo(r.get("budget").asInt());
        }
        for (String way : List.of("with_count", "without_count")) {
            JsonNode w = r.get(way);
            assertThat(w.get("loss").asDouble()).as(way).isCloseTo(w.get("base_loss").asDouble(),
                    org.assertj.core.data.Offset.offset(1e-5));
            assertThat(w.get("relative_grad_difference").asDouble()).as(way + ": |g - g_padded| / |g_padded|")
                    .isLessThan(1e-5);
            JsonNode b = w.get("batching");
            assertThat(b.get("micro_steps").asInt()).isEqualTo(r.get("groups").size());
            int tokens = 0;
            for (JsonNode length : r.get("lengths")) {
                tokens += length.asInt();
            }
            assertThat(b.get("tokens").asInt()).as("every example's tokens, no padding").isEqualTo(tokens);
            int padded = 0;
            for (JsonNode p : r.get("group_padded_tokens")) {
                padded += p.asInt();
            }
            assertThat(b.get("padded_tokens").asInt()).isEqualTo(padded);
            assertThat(b.get("padding_fraction").asDouble()).isCloseTo(1 - (double) tokens / padded,
                    org.assertj.core.data.Offset.offset(1e-6));
        }
        assertThat(r.get("max_example_loss_difference").asDouble() / r.get("example_loss_scale").asDouble())
                .as("an example's loss in its micro-step, padded with all, and alone").isLessThan(1e-6);
    }

    @Test
    void paddingFreeRowsKeepTheirExamplesApart_withThePinnedTransformersSdpa() throws Exception {
        // What was found (docs/BENCHMARKS.md): transformers 5 builds a block-diagonal causal mask from position ids
        // that restart at 0, so one flattened row of several examples gives each example its own loss.
        JsonNode p = run().get("padding_free_sdpa");
        assertThat(p.get("difference").asDouble() / p.get("separate_loss").asDouble()).isLessThan(1e-6);
    }

    @Test
    void theSampler_groupsSimilarLengths_inTheSameOrderForASeedAndEpoch() throws Exception {
        JsonNode s = run().get("sampler");
        assertThat(s.get("permutation").asBoolean()).as("every example once an epoch").isTrue();
        assertThat(s.get("same_for_epoch").asBoolean()).as("a resumed epoch sees the same order").isTrue();
        assertThat(s.get("differs_next_epoch").asBoolean()).isTrue();
        assertThat(s.get("padding_grouped").asDouble()).as("padding of steps of 8 over lengths 1..900")
                .isLessThan(0.05);
        assertThat(s.get("padding_random").asDouble()).isGreaterThan(0.3);
        JsonNode split = run().get("split");
        assertThat(split.get("count").asInt()).as("split to the micro-steps another rank needs").isEqualTo(40);
        assertThat(split.get("every_row_once").asBoolean()).isTrue();
        assertThat(split.get("within_budget").asBoolean()).isTrue();
    }

    @Test
    void dpoPairsGroupedByLength_padLessThanTrlsRandomBatches() throws Exception {
        // TRL's DPO trainer has no padding-free batches (turned off in its 1.x rewrite), and its collator puts each
        // pair's chosen and rejected rows half a batch apart; the SDK groups the pairs by length instead.
        JsonNode d = run().get("dpo");
        assertThat(d.get("class").asString()).isEqualTo("LengthGroupedDPOTrainer");
        assertThat(d.get("every_pair_once").asBoolean()).as("every pair once an epoch").isTrue();
        assertThat(d.get("grouped").asDouble()).as("padding of grouped pairs, TRL's random: " + d.get("random"))
                .isLessThan(d.get("random").asDouble() - 0.1);
    }

    @Test
    void dpoStepInMicroStepsOfPairs_equalsTheCollatedStep() throws Exception {
        // the step's 12 pairs cut by pairs (both rows of each) within a budget of two of the longest pairs
        JsonNode d = run().get("dpo_tokens");
        JsonNode batching = d.get("batching");
        assertThat(batching.get("micro_steps").asInt()).as("micro-steps of %s", d).isGreaterThan(2);
        assertThat(batching.get("padding_fraction").asDouble()).as("padding, the collated step's %s",
                d.get("padded_step_padding")).isLessThan(d.get("padded_step_padding").asDouble());
        assertThat(d.get("tokens_loss").asDouble()).isCloseTo(d.get("base_loss").asDouble(), within(1e-12));
        // in float64: equal but for the order of the sums
        assertThat(d.get("relative_grad_difference").asDouble()).as("%s", d).isLessThan(1e-12);
        assertThat(d.get("max_grad_difference").asDouble()).isLessThan(1e-12 * d.get("grad_scale").asDouble());
    }

    private static JsonNode result;

    private synchronized JsonNode run() throws Exception {
        if (result != null) {
            return result;
        }
        Path out = TinyWorld.get().script(dir, "/batching/exactness.py");
        result = JSON.readTree(Files.readString(out));
        return result;
    }
}
