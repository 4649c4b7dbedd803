package dev.koder.training.tck;

import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.EventLevel;
import dev.koder.training.api.Hyperparameters;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobProgress;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Jobs;
import dev.koder.training.api.Page;
import dev.koder.training.api.Resources;
import dev.koder.training.api.TrainingMethod;
import dev.koder.training.spi.JobRecord;
import dev.koder.training.spi.NewEvent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Specs, jobs and events the kits work with. */
public final class Samples {

    private Samples() {
    }

    /**
     * @param tenant the tenant
     * @param method the method
     * @param dataPath the training data path
     * @return a valid CPU spec
     */
    public static JobSpec spec(String tenant, TrainingMethod method, String dataPath) {
        DatasetFormat format = method.objective() == dev.koder.training.api.Objective.DPO
                ? DatasetFormat.PREFERENCE : DatasetFormat.CHAT;
        return JobSpec.builder().name("kit-job").tenant(tenant).baseModel("/models/tiny").method(method)
                .hyperparameters(Hyperparameters.builder().maxSteps(4).maxSeqLength(64).build())
                .trainingData(DatasetRef.of(dataPath, format)).resources(Resources.cpu()).build();
    }

    /** @param tenant the tenant @return a valid LoRA SFT spec on the CPU */
    public static JobSpec spec(String tenant) {
        return spec(tenant, TrainingMethod.sftLora(), "/data/train.jsonl");
    }

    /**
     * @param id job id
     * @param tenant tenant
     * @param created creation time
     * @return a new queued job record
     */
    public static JobRecord queued(String id, String tenant, Instant created) {
        return JobRecord.of(Job.builder().id(id).spec(spec(tenant)).status(JobStatus.QUEUED).runner("kit")
                .createdAt(created).updatedAt(created).progress(JobProgress.NONE).build());
    }

    /**
     * Writes a tiny Llama-shaped model folder (its config.json only: enough for the estimator to size it; the scripted
     * trainer never loads it).
     *
     * @param dir the folder, created if needed
     * @return the folder
     * @throws IOException when it cannot be written
     */
    public static Path tinyModelFolder(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), "{\"model_type\":\"llama\",\"hidden_size\":64,"
                + "\"num_hidden_layers\":2,\"num_attention_heads\":4,\"num_key_value_heads\":2,"
                + "\"intermediate_size\":128,\"vocab_size\":256}");
        return dir;
    }

    /**
     * @param file the JSONL file to write
     * @param examples how many chat examples
     * @return the file
     * @throws IOException when it cannot be written
     */
    public static Path chatData(Path file, int examples) throws IOException {
        Files.writeString(file, ("{\"messages\":[{\"role\":\"user\",\"content\":\"Shout: cat\"},"
                + "{\"role\":\"assistant\",\"content\":\"CAT\"}]}\n").repeat(examples));
        return file;
    }

    /**
     * A LoRA SFT job for the {@link ScriptedRunner}: what its trainer does comes from {@code behaviour} (the keys of
     * its {@code fake.} metadata without the prefix).
     *
     * @param model a model folder ({@link #tinyModelFolder})
     * @param data chat data ({@link #chatData})
     * @param gpus GPUs (0: the CPU)
     * @param steps steps it reports
     * @param behaviour the scripted trainer's behaviour
     * @return the spec's builder, tenant {@code t}
     */
    public static JobSpec.Builder scriptedJob(Path model, Path data, int gpus, int steps, Map<String, String> behaviour) {
        JobSpec.Builder b = JobSpec.builder().name("scripted-job").tenant("t").baseModel(model.toString())
                .method(TrainingMethod.sftLora()).hyperparameters(Hyperparameters.builder().maxSteps(steps)
                        .maxSeqLength(64).build())
                .trainingData(DatasetRef.of(data, DatasetFormat.CHAT))
                .resources(gpus == 0 ? Resources.cpu() : Resources.gpus(gpus));
        behaviour.forEach((k, v) -> b.metadata("fake." + k, v));
        return b;
    }

    /**
     * @param jobs the jobs
     * @param id a job
     * @return all its events, every page read
     */
    public static List<JobEvent> events(Jobs jobs, String id) {
        List<JobEvent> all = new ArrayList<>();
        long after = 0;
        Page<JobEvent> page;
        do {
            page = jobs.events(id, after, 1000);
            all.addAll(page.items());
            after = page.items().isEmpty() ? after : page.items().get(page.items().size() - 1).seq();
        } while (page.nextCursor() != null);
        return all;
    }

    /** @param message text @return an info note event */
    public static NewEvent note(String message) {
        return new NewEvent(Instant.parse("2026-01-01T00:00:00Z"), EventLevel.INFO, "note", message,
                Map.of("n", message.length(), "nested", Map.of("ok", true)));
    }
}
