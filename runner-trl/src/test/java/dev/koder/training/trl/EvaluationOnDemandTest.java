package dev.koder.training.trl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.CheckpointQuery;
import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.Evaluation;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobStatus;
import dev.koder.training.core.Training;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoints.evaluate on a real TRL LoRA job and the tiny model: the fine-tune beside its base on held-out chat data
 * and preference pairs, the figures checked against the quickstart's scorer (evaluate.py, a separate
 * implementation over the same encoding), and kept in the registry.
 */
class EvaluationOnDemandTest {

    static final Path TEST_PREFS = TinyWorld.DATA.resolve("shout-test-prefs.jsonl");

    @TempDir
    Path dir;

    @Test
    void evaluate_sftAndPreferenceData_besideTheBase_matchesAnIndependentScorer() throws Exception {
        TinyWorld w = TinyWorld.get();
        try (Training t = Training.builder().home(dir.resolve("home")).runner(w.runner)
                .pollInterval(Duration.ofMillis(100)).build()) {
            Job job = t.jobs().await(t.jobs().submit(w.sft(40).build()).id(), Duration.ofMinutes(5));
            assertThat(job.status()).as(String.valueOf(job.failure())).isEqualTo(JobStatus.SUCCEEDED);
            Checkpoint output = t.checkpoints().list(CheckpointQuery.builder().jobId(job.id()).build()).items()
                    .stream().filter(Checkpoint::last).findFirst().orElseThrow();

            List<String> lines = new ArrayList<>();
            Evaluation sft = t.checkpoints().evaluate(output.id(), DatasetRef.of(TinyWorld.TEST, DatasetFormat.CHAT),
                    "reviewer", lines::add);
            System.out.printf("held-out chat: eval_loss %.4f (base %.4f), token accuracy %.3f (base %.3f), %s%n",
                    sft.metrics().get("eval_loss"), sft.baseMetrics().get("eval_loss"),
                    sft.metrics().get("eval_mean_token_accuracy"), sft.baseMetrics().get("eval_mean_token_accuracy"),
                    sft.device());
            assertThat(sft.examples()).isEqualTo(40);
            assertThat(sft.metrics().get("eval_tokens")).isEqualTo(sft.baseMetrics().get("eval_tokens")).isPositive();
            assertThat(sft.metrics().get("eval_loss")).as("the fine-tune learned the task")
                    .isLessThan(sft.baseMetrics().get("eval_loss") - 0.5);
            assertThat(sft.metrics().get("eval_mean_token_accuracy")).isBetween(0.0, 1.0)
                    .isGreaterThan(sft.baseMetrics().get("eval_mean_token_accuracy"));
            assertThat(lines).anySatisfy(l -> assertThat(l).contains("checkpoint: 40/40 examples"));

            // the same loss from the quickstart's scorer, which scores each whole conversation its own way
            TrlTools.Scores tuned = w.tools.evaluate(w.model, Path.of(job.output()), TinyWorld.TEST, TEST_PREFS, null,
                    dir.resolve("score-tuned"), l -> { });
            TrlTools.Scores base = w.tools.evaluate(w.model, null, TinyWorld.TEST, TEST_PREFS, null,
                    dir.resolve("score-base"), l -> { });
            assertThat(sft.metrics().get("eval_loss")).isCloseTo(tuned.loss(), within(1e-4));
            assertThat(sft.baseMetrics().get("eval_loss")).isCloseTo(base.loss(), within(1e-4));

            Evaluation prefs = t.checkpoints().evaluate(output.id(), DatasetRef.of(TEST_PREFS,
                    DatasetFormat.PREFERENCE), "reviewer", l -> { });
            System.out.printf("held-out pairs: preference accuracy %.3f (base %.3f), log-p margin %.3f (base %.3f), "
                    + "reward accuracy %.3f, reward margin %.4f%n", prefs.metrics().get("eval_preference_accuracy"),
                    prefs.baseMetrics().get("eval_preference_accuracy"), prefs.metrics().get("eval_logp_margin"),
                    prefs.baseMetrics().get("eval_logp_margin"), prefs.metrics().get("eval_reward_accuracy"),
                    prefs.metrics().get("eval_reward_margin"));
            assertThat(prefs.metrics().get("eval_preference_accuracy")).isCloseTo(tuned.preferenceAccuracy(),
                    within(1e-9));
            assertThat(prefs.metrics().get("eval_logp_margin")).isCloseTo(tuned.preferenceMargin(), within(1e-3));
            assertThat(prefs.baseMetrics().get("eval_logp_margin")).isCloseTo(base.preferenceMargin(), within(1e-3));
            // the reward is beta times the margin's gain over the base (the reference): 0.1 for an SFT job
            assertThat(prefs.metrics().get("eval_reward_margin")).isCloseTo(0.1 * (tuned.preferenceMargin()
                    - base.preferenceMargin()), within(1e-3));
            assertThat(prefs.baseMetrics()).doesNotContainKey("eval_reward_margin");

            assertThat(t.checkpoints().evaluations(output.id())).containsExactly(sft, prefs);
        }
    }
}
