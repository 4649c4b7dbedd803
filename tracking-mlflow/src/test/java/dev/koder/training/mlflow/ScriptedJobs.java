package dev.koder.training.mlflow;

import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.Hyperparameters;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.Resources;
import dev.koder.training.api.TrainingMethod;
import dev.koder.training.tck.ScriptedRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Jobs of the scripted runner (a real Python process that speaks the events protocol without training). */
final class ScriptedJobs {

    private final Path model;
    private final Path data;

    ScriptedJobs(Path dir) {
        model = dir.resolve("model");
        data = dir.resolve("train.jsonl");
        try {
            Files.createDirectories(model);
            Files.writeString(model.resolve("config.json"), "{\"model_type\":\"llama\"}");
            Files.writeString(data, ("{\"messages\":[{\"role\":\"user\",\"content\":\"Reverse abc\"},"
                    + "{\"role\":\"assistant\",\"content\":\"cba\"}]}\n").repeat(8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    ScriptedRunner runner() {
        return new ScriptedRunner();
    }

    JobSpec spec(String name, int steps, double stepSeconds) {
        return JobSpec.builder().name(name).tenant("acme").baseModel(model.toString()).runner("script")
                .method(TrainingMethod.sftLora())
                .hyperparameters(Hyperparameters.builder().maxSteps(steps).maxSeqLength(64).build())
                .trainingData(DatasetRef.of(data, DatasetFormat.CHAT)).resources(Resources.cpu())
                .metadata("fake.step_seconds", String.format(Locale.ROOT, "%.3f", stepSeconds)).build();
    }
}
