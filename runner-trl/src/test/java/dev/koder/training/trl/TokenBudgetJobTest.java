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
import dev.koder.training.api.TrainingMethod;
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
 * Real TRL jobs with SFT's and DPO's default micro-steps by tokens, on data of log-normal lengths: the first events say
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
            int cores = Runtime.getRuntime().availableProcessors();
            assertThat(events).anySatisfy(e -> assertThat(e.message()).contains("trainer started")
                    .contains("micro-steps of up to 512 tokens")
                    // one job at a time (the default): its trainer has every core
                    .contains(", " + cores + (cores == 1 ? " CPU thread" : " CPU threads")));
            JobEvent completed = compare(job, events, "SFT", 512, 0.04, 0.15);
            assertThat(completed.message()).contains("tokens a micro-step, padding");
        }
    }

    @Test
    void dpoPairsInMicroStepsByTokens_estimateMatchesWhatTheTrainerReports() throws Exception {
        TinyWorld w = TinyWorld.get();
        Path data = dir.resolve("pairs.jsonl");
        Files.write(data, pairs(160, new Random(11)));
        try (Training t = Training.builder().home(dir.resolve("home")).runner(w.runner)
                .pollInterval(Duration.ofMillis(100)).build()) {
            Job job = t.jobs().await(t.jobs().submit(w.sft(1).method(TrainingMethod.dpoLora())
                    .hyperparameters(Hyperparameters.builder().epochs(1).batchSize(16).learningRate(1e-3)
                            .maxSeqLength(128).gradientCheckpointing(false).build())
                    .trainingData(DatasetRef.of(data, DatasetFormat.PREFERENCE)).build()).id(), Duration.ofMinutes(5));
            assertThat(job.status()).isEqualTo(JobStatus.SUCCEEDED);
            assertThat(job.spec().hyperparameters().microBatchTokens()).as("DPO's default, auto on a CPU: 4 pairs "
                    + "of two rows of max_seq_length").isEqualTo(1024);
            List<JobEvent> events = Samples.events(t.jobs(), job.id());
            assertThat(events.get(0).message()).contains("recipe: micro-steps of up to 1,024 tokens (auto;")
                    .contains("4 pairs (two rows each)");
            JobEvent completed = compare(job, events, "DPO", 1024, 0.06, 0.2);
            assertThat(((Number) ((Map<?, ?>) completed.data().get("batching")).get("micro_steps")).intValue())
                    .as("more than one micro-step a step").isGreaterThan(10);
        }
    }

    /**
     * Holds the job's estimate of its micro-steps to what its trainer reported in the completed event.
     *
     * @param padding how far the padding fractions may be apart
     * @param share how far tokens a micro-step may be apart, as a share of the trainer's
     * @return the completed event
     */
    static JobEvent compare(Job job, List<JobEvent> events, String what, int budget, double padding, double share) {
        JobEvent completed = events.stream().filter(e -> e.type().equals(JobEvent.TYPE_COMPLETED)).findFirst()
                .orElseThrow();
        Map<?, ?> reported = (Map<?, ?>) completed.data().get("batching");
        CostEstimate.Batching estimated = job.estimate().batching();
        double reportedPadding = ((Number) reported.get("padding_fraction")).doubleValue();
        double tokens = ((Number) reported.get("tokens_per_micro_step")).doubleValue();
        System.out.printf("%s estimated: %.1f tokens a micro-step, padding %.3f, %.2f micro-steps a step; "
                + "trainer: %.1f, %.3f, %s micro-steps%n", what, estimated.tokensPerMicroStep(),
                estimated.paddingFraction(), estimated.microStepsPerStep(), tokens, reportedPadding,
                reported.get("micro_steps"));
        assertThat(((Number) reported.get("micro_batch_tokens")).intValue()).isEqualTo(budget);
        assertThat(estimated.fromHistogram()).isTrue();
        assertThat(estimated.paddingFraction()).isCloseTo(reportedPadding, within(padding));
        assertThat(estimated.tokensPerMicroStep()).isCloseTo(tokens, within(share * tokens));
        return completed;
    }

    /**
     * Preference pairs whose answers' lengths are log-normal and drawn apart (the chosen shouts a text, the rejected
     * whispers another), so that their pairing is as random as the estimate assumes.
     */
    static List<String> pairs(int n, Random random) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String chosen = text(random);
            out.add("{\"input\": {\"messages\": [{\"role\": \"user\", \"content\": \"Shout: " + chosen + "\"}]}, "
                    + "\"preferred_output\": [{\"role\": \"assistant\", \"content\": \""
                    + chosen.toUpperCase(java.util.Locale.ROOT) + "\"}], \"non_preferred_output\": [{\"role\": "
                    + "\"assistant\", \"content\": \"" + text(random) + "\"}]}");
        }
        return out;
    }

    /** Chat examples whose lengths are log-normal (median ~40 characters, p90 ~110), each a tiny-model token a character. */
    static List<String> chat(int n, Random random) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String text = text(random);
            out.add("{\"messages\": [{\"role\": \"user\", \"content\": \"Shout: " + text + "\"}, {\"role\": "
                    + "\"assistant\", \"content\": \"" + text.toUpperCase(java.util.Locale.ROOT) + "\"}]}");
        }
        return out;
    }

    /** Words of the shout task, as many as make a log-normal length (median 20 characters, at most 110). */
    static String text(Random random) {
        String[] words = {"dial", "wind", "mood", "lamp", "rope", "salt", "fern", "tide"};
        double sigma = Math.log(110.0 / 40) / 1.2816;
        int chars = (int) Math.max(4, Math.min(110, Math.round(20 * Math.exp(sigma * random.nextGaussian()))));
        StringBuilder text = new StringBuilder();
        while (text.length() < chars) {
            text.append(text.length() == 0 ? "" : " ").append(words[random.nextInt(words.length)]);
        }
        return text.toString();
    }
}
