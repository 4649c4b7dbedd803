package dev.koder.training.core;

import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.Hyperparameters;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.Jobs;
import dev.koder.training.api.Resources;
import dev.koder.training.api.TrainingMethod;
import dev.koder.training.tck.Samples;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** A model folder, a dataset and specs for the service tests. */
final class Fixtures {

    static final String CHAT = "{\"messages\":[{\"role\":\"user\",\"content\":\"Reverse abc\"},"
            + "{\"role\":\"assistant\",\"content\":\"cba\"}]}\n";

    final Path dir;
    final Path model;
    final Path data;

    Fixtures(Path dir) {
        this.dir = dir;
        this.model = dir.resolve("model");
        this.data = dir.resolve("train.jsonl");
        try {
            Files.createDirectories(model);
            Files.writeString(model.resolve("config.json"), "{\"model_type\":\"llama\"}");
            Files.writeString(data, CHAT.repeat(8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    JobSpec.Builder spec(int steps, Map<String, String> behaviour) {
        JobSpec.Builder b = JobSpec.builder().name("test-job").tenant("acme").baseModel(model.toString())
                .method(TrainingMethod.sftLora())
                .hyperparameters(Hyperparameters.builder().maxSteps(steps).maxSeqLength(64).build())
                .trainingData(DatasetRef.of(data, DatasetFormat.CHAT)).resources(Resources.cpu());
        behaviour.forEach((k, v) -> b.metadata("fake." + k, v));
        return b;
    }

    JobSpec spec(int steps) {
        return spec(steps, Map.of()).build();
    }

    static List<JobEvent> events(Jobs jobs, String id) {
        return Samples.events(jobs, id);
    }

    static Job waitFor(Jobs jobs, String id, Predicate<Job> condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Job j = jobs.get(id);
            if (condition.test(j)) {
                return j;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("job " + id + " never got there; it is " + j.status().wireName()
                        + " at step " + j.progress().step());
            }
            Thread.sleep(20);
        }
    }

    static boolean gone(long pid) {
        return ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true);
    }
}
