package com.example.bigram;

import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.Hyperparameters;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.Resources;
import dev.koder.training.api.TrainingMethod;
import dev.koder.training.spi.TrainingRunner;
import dev.koder.training.tck.RunnerCompatibilityKit;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The example runner passes the compatibility kit, as every runner must. */
class BigramRunnerKitTest extends RunnerCompatibilityKit {

    @Override
    protected TrainingRunner newRunner() {
        return new BigramRunner("python3");
    }

    @Override
    protected JobSpec spec(Path dir, TrainingMethod method) {
        try {
            Files.createDirectories(dir.resolve("model"));
            Files.writeString(dir.resolve("model/config.json"), "{\"model_type\":\"bigram\"}");
            Path data = Files.writeString(dir.resolve("train.jsonl"), ("{\"messages\":[{\"role\":\"user\",\"content\":"
                    + "\"Shout: cat\"},{\"role\":\"assistant\",\"content\":\"CAT\"}]}\n").repeat(20));
            return JobSpec.builder().name("bigram").tenant("example").baseModel(dir.resolve("model").toString())
                    .runner("bigram").method(method).hyperparameters(Hyperparameters.builder().maxSteps(5).build())
                    .trainingData(DatasetRef.of(data, DatasetFormat.CHAT)).resources(Resources.cpu()).build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    protected boolean supportsLocalRun() {
        return true;
    }
}
