package dev.koder.training.blob;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.CheckpointQuery;
import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.Hyperparameters;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Resources;
import dev.koder.training.api.TrainingMethod;
import dev.koder.training.core.Training;
import dev.koder.training.tck.ScriptedRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The service with {@code training.blob=s3}: the S3 store found through ServiceLoader and configured by properties. */
class S3ServiceTest {

    @TempDir
    Path dir;

    @Test
    void aJobsOutput_isRegisteredWithItsBlobsInS3() throws Exception {
        Path model = Files.createDirectories(dir.resolve("model"));
        Files.writeString(model.resolve("config.json"), "{\"model_type\":\"llama\"}");
        Path data = dir.resolve("train.jsonl");
        Files.writeString(data, "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\","
                + "\"content\":\"A\"}]}\n");
        try (S3Server server = S3Server.start(Files.createDirectories(dir.resolve("s3")));
                Training training = Training.builder().home(dir.resolve("home")).runner(new ScriptedRunner())
                        .pollInterval(Duration.ofMillis(50)).property("training.blob", "s3")
                        .property("training.blob.s3.bucket", S3Server.BUCKET)
                        .property("training.blob.s3.endpoint", server.endpoint().toString())
                        .property("training.blob.s3.prefix", "team-a")
                        .property("training.blob.s3.access-key", S3Server.ACCESS)
                        .property("training.blob.s3.secret-key", S3Server.SECRET).build()) {
            JobSpec spec = JobSpec.builder().name("s3-job").tenant("acme").baseModel(model.toString())
                    .method(TrainingMethod.sftLora()).hyperparameters(Hyperparameters.builder().maxSteps(3).build())
                    .trainingData(DatasetRef.of(data, DatasetFormat.CHAT)).resources(Resources.cpu()).build();
            Job done = training.jobs().await(training.jobs().submit(spec).id(), Duration.ofSeconds(60));
            assertThat(done.status()).isEqualTo(JobStatus.SUCCEEDED);
            Checkpoint c = training.checkpoints().list(CheckpointQuery.builder().jobId(done.id()).limit(10).build())
                    .items().get(0);
            assertThat(c.blobStore()).isEqualTo("s3://checkpoints/team-a/blobs");
            for (Checkpoint.File f : c.files()) {
                assertThat(server.objectFile("team-a/blobs/" + f.sha256())).hasSize(f.size());
            }
            Path out = training.checkpoints().download(c.id(), dir.resolve("out"), n -> { });
            assertThat(Files.mismatch(out.resolve("adapter_model.safetensors"),
                    Path.of(done.output()).resolve("adapter_model.safetensors"))).isEqualTo(-1L);
        }
    }
}
