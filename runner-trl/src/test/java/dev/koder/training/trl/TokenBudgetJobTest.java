package dev.koder.training.trl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.koder.training.api.CostEstimate;
import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.Hyperparameters;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobStatus;
import dev.koder.training.core.Training;
import dev.koder.training.tck.Samples;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real TRL job with SFT's default micro-steps by tokens, on chat data of log-normal lengths: the first events say
 * the budget chosen, the trainer reports what its micro-steps held, and the estimate made before it ran said the
 * same (padding fraction and tokens a micro-step) from the data's length histogram.
 */
class TokenBudgetJobTest {

    @TempDir
    Path dir;

    @Test
    void theEstimatesPaddingAndTokensPerMicroStep_matchWhatTheTrainerReports() throws Exception {
        TinyWorld w = TinyWorld.get();
        Path data = dir.resolve("lengths.jsonl");
        Files.write(data, chat(320, new Random(5)));
        try (Training t = Training.builder().home(dir.resolve("home")).runner(w.runner)
                .pollInterval(Duration.ofMillis(100)).build()) {
            Job job = t.jobs().await(t.jobs().submit(w.sft(1).hyperparameters(Hyperparameters.builder().epochs(1)
                    .batchSize(16).learningRate(2e-3).maxSeqLength(128).gradientCheckpointing(false).build())
                    .trainingData(DatasetRef.of(data, DatasetFormat.CHAT)).build()).id(), Duration.ofMinutes(5));
            assertThat(job.status()).isEqualTo(JobStatus.SUCCEEDED);
            assertThat(job.spec().hyperparameters().microBatchTokens()).as("auto on a CPU: 4 x max_seq_length")
                    .isEqualTo(512);
            List<JobEvent> events = Samples.events(t.jobs(), job.id());
            assertThat(events.get(0).message()).contains("recipe: micro-steps of up to 512 tokens (auto;");
            assertThat(events).anySatisfy(e -> assertThat(e.message()).contains("trainer started")
                    .contains("micro-steps of up to 512 tokens"));
            JobEvent completed = events.stream().filter(e -> e.type().equals(JobEvent.TYPE_COMPLETED)).findFirst()
                    .orElseThrow();
            Map<?, ?> reported = (Map<?, ?>) completed.data().get("batching");
            CostEstimate.Batching estimated = job.estimate().batching();
            double padding = ((Number) reported.get("padding_fraction")).doubleValue();
            double tokens = ((Number) reported.get("tokens_per_micro_step")).doubleValue();
            System.out.printf("estimated: %.1f tokens a micro-step, padding %.3f, %.2f micro-steps a step; "
                    + "trainer: %.1f, %.3f, %s micro-steps%n", estimated.tokensPerMicroStep(),
                    estimated.paddingFraction(), estimated.microStepsPerStep(), tokens, padding,
                    reported.get("micro_steps"));
            assertThat(((Number) reported.get("micro_batch_tokens")).intValue()).isEqualTo(512);
            assertThat(estimated.fromHistogram()).isTrue();
            assertThat(estimated.paddingFraction()).isCloseTo(padding, within(0.04));
            assertThat(estimated.tokensPerMicroStep()).isCloseTo(tokens, within(0.15 * tokens));
            assertThat(completed.message()).contains("tokens a micro-step, padding");
        }
    }

    /** Chat examples whose lengths are log-normal (median ~40 characters, p90 ~110), each a tiny-model token a character. */
    static List<String> chat(int n, Random random) {
        String[] words = {"dial", "wind", "mood", "lamp", "rope", "salt", "fern", "tide"};
        double sigma = Math.log(110.0 / 40) / 1.2816;
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int chars = (int) Math.max(4, Math.min(110, Math.round(20 * Math.exp(sigma * random.nextGaussian()))));
            StringBuilder text = new StringBuilder();
            while (text.length() < chars) {
                text.append(text.length() == 0 ? "" : " ").append(words[random.nextInt(words.length)]);
            }
            out.add("{\"messages\": [{\"role\": \"user\", \"content\": \"Shout: " + text + "\"}, {\"role\": "
                    + "\"assistant\", \"content\": \"" + text.toString().toUpperCase(java.util.Locale.ROOT) + "\"}]}");
        }
        return out;
    }
}
