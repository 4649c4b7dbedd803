package dev.koder.training.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.AvailableModel;
import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.TrainingMethod;
import dev.koder.training.core.blob.FilesystemBlobStore;
import dev.koder.training.core.registry.CheckpointRegistry;
import dev.koder.training.sqlite.SqliteCheckpoints;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hub cache's part of what a tenant may name, on a hub cache of the test's own. */
class ModelPolicyTest {

    @TempDir
    Path dir;

    private static void model(Path folder) throws IOException {
        Files.writeString(Files.createDirectories(folder).resolve("config.json"), "{}");
    }

    @Test
    void theHubCachesModels_areListedByTheirIds_andResolveAsThem() throws IOException {
        Path hub = Files.createDirectories(dir.resolve("hub"));
        model(hub.resolve("models--org--tiny/snapshots/0a1b"));
        model(hub.resolve("models--gpt2/snapshots/9f"));
        model(hub.resolve("models--org--shadowed/snapshots/1"));
        Files.createDirectories(hub.resolve("models--org--nothing-yet/blobs"));
        model(hub.resolve("datasets--org--data/snapshots/1"));
        model(hub.resolve("models--ckpt-x--y/snapshots/1"));
        Path root = Files.createDirectories(dir.resolve("root"));
        model(root.resolve("org/shadowed"));
        try (CheckpointRegistry registry = new CheckpointRegistry(SqliteCheckpoints.open(dir.resolve("t.db")),
                new FilesystemBlobStore(dir.resolve("blobs")), Clock.systemUTC(), id -> Optional.empty(),
                Duration.ofMinutes(5))) {
            ModelPolicy policy = new ModelPolicy(List.of(root), false, dir.resolve("home"), hub, registry,
                    id -> Optional.empty());
            List<AvailableModel> models = policy.available("acme");
            assertThat(models).extracting(AvailableModel::id, AvailableModel::source).containsExactly(
                    org.assertj.core.groups.Tuple.tuple("gpt2", AvailableModel.Source.HUB_CACHE),
                    org.assertj.core.groups.Tuple.tuple("org/shadowed", AvailableModel.Source.MODEL_ROOT),
                    org.assertj.core.groups.Tuple.tuple("org/tiny", AvailableModel.Source.HUB_CACHE));
            for (AvailableModel m : models) {
                JobSpec spec = JobSpec.builder().name("m").tenant("acme").baseModel(m.id())
                        .method(TrainingMethod.sftLora()).trainingData(DatasetRef.of(dir.resolve("d.jsonl"),
                                DatasetFormat.CHAT)).build();
                String resolved = policy.resolve(spec, true).baseModel();
                assertThat(resolved).as(m.id()).isEqualTo(m.source() == AvailableModel.Source.MODEL_ROOT
                        ? root.resolve(m.id()).toRealPath().toString() : m.id());
            }
        }
    }
}
