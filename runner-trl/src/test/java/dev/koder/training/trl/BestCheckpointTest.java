package dev.koder.training.trl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.CheckpointPolicy;
import dev.koder.training.api.CheckpointQuery;
import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
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
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * checkpoints.select best on a real TRL job whose validation loss falls and then rises: the tiny model learns the
 * chat template first (the validation loss falls) and then to shout, which the validation answers, written in lower
 * case, do not (it rises). The output is the weights of the evaluation with the lowest loss, not the last step's,
 * and the registry, the completed event and the output's own files say which step won.
 */
class BestCheckpointTest {

    @TempDir
    Path dir;

    @Test
    void theOutputIsTheStepOfTheLowestValidationLoss_notTheLast() throws Exception {
        TinyWorld w = TinyWorld.get();
        Path validation = dir.resolve("whispers.jsonl");
        List<String> rows = new ArrayList<>();
        for (String line : Files.readAllLines(TinyWorld.TEST)) {
            // the same prompts, answered in lower case: what the task teaches the model not to write
            int answer = line.lastIndexOf("\"content\": \"");
            rows.add(line.substring(0, answer) + line.substring(answer).toLowerCase(Locale.ROOT));
        }
        Files.write(validation, rows);
        try (Training t = Training.builder().home(dir.resolve("home")).runner(w.runner)
                .pollInterval(Duration.ofMillis(100)).build()) {
            Job job = t.jobs().await(t.jobs().submit(w.sft(60).validationData(DatasetRef.of(validation,
                    DatasetFormat.CHAT)).checkpoints(CheckpointPolicy.everySteps(6, 2).bestBy("eval_loss")).build())
                    .id(), Duration.ofMinutes(5));
            assertThat(job.status()).as(String.valueOf(job.failure())).isEqualTo(JobStatus.SUCCEEDED);
            List<JobEvent> events = Samples.events(t.jobs(), job.id());
            int evaluations = 0;
            StringBuilder trajectory = new StringBuilder();
            long bestStep = -1;
            double best = Double.MAX_VALUE;
            double last = Double.NaN;
            for (JobEvent e : events) {
                if (e.type().equals(JobEvent.TYPE_EVAL) && !Boolean.TRUE.equals(e.data().get("baseline"))
                        && e.data().get("metrics") instanceof Map<?, ?> m && m.get("eval_loss") instanceof Number loss) {
                    long step = ((Number) e.data().get("step")).longValue();
                    evaluations++;
                    trajectory.append(String.format(Locale.ROOT, " %d:%.4f", step, loss.doubleValue()));
                    last = loss.doubleValue();
                    if (loss.doubleValue() < best) {
                        best = loss.doubleValue();
                        bestStep = step;
                    }
                }
            }
            System.out.printf("validation loss by step:%s; the output is step %d%n", trajectory, bestStep);
            assertThat(evaluations).as("an evaluation at every save, the last step's too").isEqualTo(10);
            assertThat(last).as("the validation loss rose after its minimum at step " + bestStep).isGreaterThan(best);
            assertThat(bestStep).isBetween(1L, 59L);

            JobEvent completed = events.stream().filter(e -> e.type().equals(JobEvent.TYPE_COMPLETED)).findFirst()
                    .orElseThrow();
            Map<?, ?> selected = (Map<?, ?>) completed.data().get("selected");
            assertThat(((Number) selected.get("step")).longValue()).isEqualTo(bestStep);
            assertThat(((Number) selected.get("value")).doubleValue()).isEqualTo(best);
            assertThat(((Number) selected.get("last_step")).longValue()).isEqualTo(60);
            assertThat(completed.message()).contains("the weights of step " + bestStep, "lowest eval_loss");

            Checkpoint output = t.checkpoints().list(CheckpointQuery.builder().jobId(job.id()).build()).items()
                    .stream().filter(Checkpoint::last).findFirst().orElseThrow();
            assertThat(output.step()).as("the output's step").isEqualTo(bestStep);
            assertThat(output.metrics()).containsEntry("eval_loss", best).containsEntry("last_step", 60.0);

            // the output holds the best evaluation's weights: the same files as the trainer's copy of them
            Path final_ = Path.of(job.output());
            Path kept = final_.resolveSibling("best");
            assertThat(Files.readAllBytes(final_.resolve("adapter_model.safetensors")))
                    .isEqualTo(Files.readAllBytes(kept.resolve("adapter_model.safetensors")));
        }
    }
}
