package dev.koder.training.core.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.CheckpointExport;
import dev.koder.training.api.CheckpointPolicy;
import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.FailureCause;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobFailure;
import dev.koder.training.api.JobProgress;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.PluginNotFoundException;
import dev.koder.training.api.TrainerFailedException;
import dev.koder.training.api.TrainingMethod;
import dev.koder.training.core.blob.FilesystemBlobStore;
import dev.koder.training.spi.AdapterMerger;
import dev.koder.training.sqlite.SqliteCheckpoints;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The export's folder handling, card and manifest on the real registry, with mergers that stand in for PEFT (the
 * real merge runs in runner-trl's CheckpointExportTest): a folder appears whole or not at all.
 */
class CheckpointExportTest {

    @TempDir
    Path dir;

    final Map<String, Job> jobs = new ConcurrentHashMap<>();
    CheckpointRegistry registry;
    Path data;
    int folders;

    @BeforeEach
    void open() throws IOException {
        registry = new CheckpointRegistry(SqliteCheckpoints.open(dir.resolve("training.db")),
                new FilesystemBlobStore(dir.resolve("blobs")), Clock.systemUTC(),
                id -> Optional.ofNullable(jobs.get(id)), Duration.ofMinutes(5));
        data = dir.resolve("train.jsonl");
        Files.writeString(data, "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\","
                + "\"content\":\"HI\"}]}\n");
    }

    @AfterEach
    void close() {
        registry.close();
    }

    Checkpoint register(Path from, String tenant) throws IOException {
        String id = "ftjob-" + (++folders);
        JobSpec spec = JobSpec.builder().name("j").tenant(tenant).baseModel(CheckpointRegistryTest.LLAMA.toString())
                .method(TrainingMethod.sftLora()).trainingData(DatasetRef.of(data, DatasetFormat.CHAT))
                .checkpoints(CheckpointPolicy.everySteps(10, 2)).build();
        Instant now = Instant.now();
        jobs.put(id, Job.builder().id(id).spec(spec).status(JobStatus.SUCCEEDED).runner("script").createdAt(now)
                .updatedAt(now).attempt(1).progress(JobProgress.NONE).submittedBy("alice").build());
        Path folder = dir.resolve("out-" + folders);
        Files.createDirectories(folder);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, folder.resolve(f.getFileName()));
            }
        }
        Files.writeString(folder.resolve("training_args.bin"), "a pickle");
        Files.writeString(folder.resolve("rng_state.pth"), "random state");
        return registry.register(jobs.get(id), folder, 10, true, Map.of("eval_loss", 1.25, "loss", 0.5), n -> { });
    }

    @Test
    void adapter_withoutResumeState_andACardWhoseUserTextCannotChangeItsStructure() throws IOException {
        Checkpoint c = register(CheckpointRegistryTest.LORA, "acme");
        registry.approve(c.id(), "bob | `evil`", "ship it\n# Not a heading `really`");
        CheckpointExport e = registry.export(c.id(), dir.resolve("export"), false, n -> { });

        assertThat(e.merged()).isFalse();
        assertThat(e.merge()).isNull();
        assertThat(e.files()).extracting(Checkpoint.File::path).contains("adapter_config.json", CheckpointExport.CARD)
                .doesNotContain("training_args.bin", "rng_state.pth", CheckpointExport.MANIFEST);
        String card = Files.readString(dir.resolve("export").resolve(CheckpointExport.CARD));
        assertThat(card.lines().filter(l -> l.startsWith("#")))
                .allMatch(l -> l.startsWith("# Fine-tune ") || l.startsWith("## "));
        assertThat(card).contains("by `` bob \\| `evil` ``, `` ship it # Not a heading `really` ``",
                "| `eval_loss` | 1.25 |", "Left out, as trainer state for resuming rather than serving: "
                        + "`rng_state.pth, training_args.bin`");
        String manifest = Files.readString(dir.resolve("export").resolve(CheckpointExport.MANIFEST));
        assertThat(manifest).contains("\"format\" : \"training-export/1\"", "\"merged\" : false",
                "\"omitted\" : [ \"rng_state.pth\", \"training_args.bin\" ]");
    }

    @Test
    void merged_withoutAMerger_isRefusedNamingWhatToAdd_andWritesNothing() throws IOException {
        Checkpoint c = register(CheckpointRegistryTest.LORA, "acme");
        assertThatThrownBy(() -> registry.export(c.id(), dir.resolve("export"), true, n -> { }))
                .isInstanceOf(PluginNotFoundException.class).hasMessageContaining("dev.koder.training:runner-trl");
        assertThat(dir.resolve("export")).doesNotExist();
    }

    @Test
    void merged_goesThroughTheMerger_andAFailedMergeLeavesNoFolder() throws IOException {
        Checkpoint c = register(CheckpointRegistryTest.LORA, "acme");
        AtomicInteger calls = new AtomicInteger();
        registry.merger(() -> Optional.of((base, adapter, output, work, lines) -> {
            calls.incrementAndGet();
            assertThat(base).isEqualTo(CheckpointRegistryTest.LLAMA.toString());
            assertThat(adapter.resolve("adapter_config.json")).exists();
            try {
                Files.createDirectories(output);
                // as safetensors 0.8 writes them: for their owner alone
                Files.writeString(output.resolve("model.safetensors"), "merged weights");
                Files.setPosixFilePermissions(output.resolve("model.safetensors"),
                        PosixFilePermissions.fromString("rw-------"));
                Files.createDirectory(output.resolve("extra"), PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
                Files.writeString(output.resolve("extra/tokens.txt"), "tokens");
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return new AdapterMerger.Merged(base, "bfloat16", 0.004, 0.02, 48);
        }));
        CheckpointExport e = registry.export(c.id(), dir.resolve("merged"), true, n -> { });
        assertThat(e.merged()).isTrue();
        assertThat(e.merge().dtype()).isEqualTo("bfloat16");
        assertThat(e.files()).extracting(Checkpoint.File::path).containsExactly(CheckpointExport.CARD,
                "extra/tokens.txt", "model.safetensors");
        // serving, often another user, reads them as it reads any new file here
        Set<PosixFilePermission> plainFile = Files.getPosixFilePermissions(Files.createFile(dir.resolve("new")));
        Set<PosixFilePermission> plainFolder = Files.getPosixFilePermissions(Files.createDirectory(
                dir.resolve("new-folder")));
        assertThat(plainFile).contains(PosixFilePermission.OTHERS_READ);
        for (String f : List.of("model.safetensors", "extra/tokens.txt", CheckpointExport.CARD,
                CheckpointExport.MANIFEST)) {
            assertThat(Files.getPosixFilePermissions(dir.resolve("merged").resolve(f))).as(f).isEqualTo(plainFile);
        }
        assertThat(Files.getPosixFilePermissions(dir.resolve("merged/extra"))).isEqualTo(plainFolder);
        assertThat(Files.getPosixFilePermissions(dir.resolve("merged"))).isEqualTo(plainFolder);
        assertThat(Files.readString(dir.resolve("merged").resolve(CheckpointExport.CARD)))
                .contains("# Merged fine-tune", "saved in bfloat16", "0.004, within the 0.02 allowed");

        registry.merger(() -> Optional.of((base, adapter, output, work, lines) -> {
            throw new TrainerFailedException(JobFailure.of(FailureCause.UNKNOWN, "merge.py exited with code 1"));
        }));
        assertThatThrownBy(() -> registry.export(c.id(), dir.resolve("failed"), true, n -> { }))
                .isInstanceOf(TrainerFailedException.class);
        assertThat(dir.resolve("failed")).doesNotExist();
        try (Stream<Path> left = Files.list(dir)) {
            assertThat(left.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(".export-"));
        }

        // a whole model is served as it is: nothing to merge, and no merger is asked
        Checkpoint whole = register(CheckpointRegistryTest.LLAMA, "acme");
        CheckpointExport full = registry.export(whole.id(), dir.resolve("whole"), true, n -> { });
        assertThat(full.merged()).isFalse();
        assertThat(full.files()).extracting(Checkpoint.File::path).contains("config.json");
        assertThat(calls).hasValue(1);
    }

    @Test
    void anExistingFolder_mustBeEmpty_andAnEmptyOneIsUsed() throws IOException {
        Checkpoint c = register(CheckpointRegistryTest.LORA, "acme");
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertThat(registry.export(c.id(), empty, false, n -> { }).files()).isNotEmpty();
        assertThatThrownBy(() -> registry.export(c.id(), empty, false, n -> { }))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is not empty");
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        assertThatThrownBy(() -> registry.export(c.id(), file, false, n -> { }))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is a file");
        assertThat(List.of(registry.export(c.id(), dir.resolve("again"), false, n -> { }).manifestSha256()))
                .containsExactly(registry.export(c.id(), dir.resolve("third"), false, n -> { }).manifestSha256());
        assertThat(registry.exports(c.id())).as("the three written, not the two refused").extracting(
                CheckpointExport::dir).containsExactly(empty.toString(), dir.resolve("again").toString(),
                        dir.resolve("third").toString());
        assertThat(registry.exports(c.id())).allSatisfy(x -> assertThat(x.exportedAt()).isNotNull());
    }
}
