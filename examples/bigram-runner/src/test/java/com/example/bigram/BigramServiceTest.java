package com.example.bigram;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.CheckpointPolicy;
import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.Hyperparameters;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Resources;
import dev.koder.training.api.TrainingMethod;
import dev.koder.training.core.Training;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The example runner inside the embedded service, found through ServiceLoader by its name in the spec. */
class BigramServiceTest {

    @TempDir
    Path dir;

    @Test
    void aSpecNamingTheRunner_trainsWithIt_andTheLossFalls() throws Exception {
        Files.createDirectories(dir.resolve("model"));
        Files.writeString(dir.resolve("model/config.json"), "{\"model_type\":\"bigram\"}");
        Path data = Files.writeString(dir.resolve("train.jsonl"), ("{\"messages\":[{\"role\":\"user\",\"content\":"
                + "\"Shout: cat\"},{\"role\":\"assistant\",\"content\":\"CAT\"}]}\n").repeat(20));
        JobSpec spec = JobSpec.builder().name("bigram").tenant("example").baseModel(dir.resolve("model").toString())
                .runner("bigram").method(TrainingMethod.sftFull())
                .hyperparameters(Hyperparameters.builder().maxSteps(8).build())
                .checkpoints(CheckpointPolicy.everySteps(4, 2))
                .trainingData(DatasetRef.of(data, DatasetFormat.CHAT)).resources(Resources.cpu()).build();
        try (Training t = Training.builder().home(dir.resolve("home")).pollInterval(Duration.ofMillis(50)).build()) {
            Job done = t.jobs().await(t.jobs().submit(spec).id(), Duration.ofSeconds(60));
            assertThat(done.status()).isEqualTo(JobStatus.SUCCEEDED);
            assertThat(done.runner()).isEqualTo("bigram");
            assertThat(Path.of(done.output()).resolve("model.json")).exists();
            List<Double> losses = t.jobs().events(done.id(), 0, 1000).items().stream()
                    .filter(e -> e.type().equals(JobEvent.TYPE_PROGRESS))
                    .map(e -> ((Number) e.data().get("loss")).doubleValue()).toList();
            assertThat(losses).hasSize(8);
            assertThat(losses.get(7)).isLessThan(losses.get(0));
        }
    }
}
