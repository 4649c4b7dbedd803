package dev.koder.training.core.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.CheckpointFormat;
import dev.koder.training.api.CheckpointPolicy;
import dev.koder.training.api.CheckpointQuery;
import dev.koder.training.api.CheckpointStage;
import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.IllegalCheckpointStateException;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobProgress;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.StorageException;
import dev.koder.training.api.TrainingMethod;
import dev.koder.training.core.blob.Digests;
import dev.koder.training.core.blob.FilesystemBlobStore;
import dev.koder.training.core.blob.ForwardingBlobStore;
import dev.koder.training.sqlite.SqliteCheckpoints;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registry on the real files transformers and peft write (src/test/resources/hf-artifacts), the embedded
 * database and the filesystem blob store.
 */
class CheckpointRegistryTest {

    static final Path LORA = Path.of("src/test/resources/hf-artifacts/tiny-lora").toAbsolutePath();
    static final Path LLAMA = Path.of("src/test/resources/hf-artifacts/tiny-llama").toAbsolutePath();

    @TempDir
    Path dir;

    FilesystemBlobStore blobs;
    CheckpointRegistry registry;
    Path data;

    @BeforeEach
    void open() throws IOException {
        blobs = new FilesystemBlobStore(dir.resolve("blobs"));
        registry = new CheckpointRegistry(SqliteCheckpoints.open(dir.resolve("training.db")), blobs,
                Clock.systemUTC(), id -> Optional.empty(), Duration.ofMinutes(5));
        data = dir.resolve("train.jsonl");
        Files.writeString(data, "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\","
                + "\"content\":\"HI\"}]}\n");
    }

    @AfterEach
    void close() {
        registry.close();
    }

    Job job(String id, String baseModel, int keepLast) {
        return job(id, "acme", baseModel, keepLast);
    }

    Job job(String id, String tenant, String baseModel, int keepLast) {
        JobSpec spec = JobSpec.builder().name("j").tenant(tenant).baseModel(baseModel)
                .method(TrainingMethod.sftLora()).trainingData(DatasetRef.of(data, DatasetFormat.CHAT))
                .checkpoints(CheckpointPolicy.everySteps(10, keepLast)).build();
        Instant now = Instant.now();
        return Job.builder().id(id).spec(spec).status(JobStatus.RUNNING).runner("script").createdAt(now).updatedAt(now)
                .startedAt(now).attempt(1).progress(JobProgress.NONE).build();
    }

    Path copy(Path from, String name) throws IOException {
        Path to = dir.resolve(name);
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
        return to;
    }

    @Test
    void aPeftAdapter_isRegisteredAsADraft_withWhatItsFilesSay() throws IOException {
        Job job = job("ftjob-1", "/models/base", 2);
        Checkpoint c = registry.register(job, LORA, 20, false, Map.of("loss", 1.25), n -> { });
        assertThat(c.id()).startsWith("ckpt-");
        assertThat(c.stage()).isEqualTo(CheckpointStage.DRAFT);
        assertThat(c.format()).isEqualTo(CheckpointFormat.PEFT_ADAPTER);
        assertThat(c.artifact().peftType()).isEqualTo("LORA");
        assertThat(c.artifact().rank()).isEqualTo(4);
        assertThat(c.artifact().alpha()).isEqualTo(8.0);
        assertThat(c.artifact().targetModules()).contains("q_proj", "k_proj", "o_proj");
        assertThat(c.artifact().tensors()).isPositive();
        assertThat(c.artifact().tensorBytes()).isPositive().isLessThan(Files.size(LORA.resolve(
                "adapter_model.safetensors")));
        assertThat(c.files()).extracting(Checkpoint.File::path).containsExactly("adapter_config.json",
                "adapter_model.safetensors");
        for (Checkpoint.File f : c.files()) {
            assertThat(f.sha256()).isEqualTo(Digests.sha256(LORA.resolve(f.path())));
            assertThat(f.size()).isEqualTo(Files.size(LORA.resolve(f.path())));
            assertThat(blobs.stat(f.sha256())).isPresent();
        }
        assertThat(c.metrics()).containsEntry("loss", 1.25);
        assertThat(c.lineage().specHash()).hasSize(64);
        assertThat(c.lineage().datasets()).containsEntry(data.toString(), Digests.sha256(data));
        assertThat(c.tenant()).isEqualTo("acme");
        assertThat(c.method()).isEqualTo("sft+lora");
        assertThat(registry.register(job, LORA, 20, false, Map.of(), n -> { }).id()).as("same folder, same checkpoint")
                .isEqualTo(c.id());
        assertThat(registry.history(c.id())).singleElement().satisfies(t -> {
            assertThat(t.from()).isNull();
            assertThat(t.to()).isEqualTo(CheckpointStage.DRAFT);
            assertThat(t.reason()).contains("step 20").contains("ftjob-1");
        });

        Checkpoint model = registry.register(job("ftjob-2", "/models/base", 2), LLAMA, 5, true, Map.of(), n -> { });
        assertThat(model.format()).isEqualTo(CheckpointFormat.FULL_MODEL);
        assertThat(model.last()).isTrue();
        assertThat(model.artifact().tensors()).isEqualTo(
                dev.koder.training.core.artifact.SafetensorsHeader.read(LLAMA.resolve("model.safetensors")).tensors()
                        .size());
    }

    @Test
    void truncatedOrMalformedFiles_areRefused_withTheFileAndWhatIsWrong() throws IOException {
        Job job = job("ftjob-1", "/models/base", 2);
        Path truncated = copy(LORA, "truncated");
        byte[] all = Files.readAllBytes(truncated.resolve("adapter_model.safetensors"));
        Files.write(truncated.resolve("adapter_model.safetensors"), java.util.Arrays.copyOf(all, all.length - 100));
        assertThatThrownBy(() -> registry.register(job, truncated, 1, false, Map.of(), n -> { }))
                .isInstanceOf(ArtifactInspector.InvalidArtifactException.class)
                .hasMessageContaining("adapter_model.safetensors is truncated");

        Path badJson = copy(LORA, "bad-json");
        Files.writeString(badJson.resolve("adapter_config.json"), "{\"r\": 4,");
        assertThatThrownBy(() -> registry.register(job, badJson, 2, false, Map.of(), n -> { }))
                .hasMessageContaining("adapter_config.json is not valid JSON");

        Path header = copy(LORA, "bad-header");
        byte[] h = Files.readAllBytes(header.resolve("adapter_model.safetensors"));
        h[9] = '[';
        Files.write(header.resolve("adapter_model.safetensors"), h);
        assertThatThrownBy(() -> registry.register(job, header, 3, false, Map.of(), n -> { }))
                .hasMessageContaining("malformed safetensors header");

        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertThatThrownBy(() -> registry.register(job, empty, 4, false, Map.of(), n -> { }))
                .hasMessageContaining("neither adapter_config.json").hasMessageContaining("nor config.json");
        assertThat(registry.list(CheckpointQuery.all()).items()).as("nothing half-registered").isEmpty();
        assertThat(blobs.keys()).isEmpty();
    }

    @Test
    void anotherTenantsApproval_isNeverTheApprovedCheckpoint() throws IOException {
        Checkpoint theirs = registry.register(job("ftjob-9", "globex", "/models/base", 2), LORA, 20, false, Map.of(),
                n -> { });
        registry.approve(theirs.id(), "gina", "good for globex");
        assertThat(registry.approved("globex", "/models/base")).get().extracting(Checkpoint::id).isEqualTo(theirs.id());
        assertThat(registry.approved("acme", "/models/base")).as("cached and uncached").isEmpty();
        assertThat(registry.approvedUncached("acme", "/models/base")).isEmpty();
        Checkpoint ours = registry.register(job("ftjob-8", "/models/base", 2), LORA, 20, false, Map.of(), n -> { });
        registry.approve(ours.id(), "alice", "good for acme");
        assertThat(registry.approved("acme", "/models/base")).get().extracting(Checkpoint::id).isEqualTo(ours.id());
        assertThat(registry.approved("globex", "/models/base")).get().extracting(Checkpoint::id)
                .as("a newer approval of another tenant changes nothing").isEqualTo(theirs.id());
    }

    @Test
    void theLifecycle_goesForwardOnly_andRecordsWhoWhenWhy() throws IOException {
        Checkpoint c = registry.register(job("ftjob-1", "/models/base", 2), LORA, 20, false, Map.of(), n -> { });
        assertThat(registry.approved("acme", "/models/base")).isEmpty();
        assertThat(registry.approve(c.id(), "alice", "eval 0.91 on the holdout").stage())
                .isEqualTo(CheckpointStage.APPROVED);
        assertThat(registry.approved("acme", "/models/base")).get().extracting(Checkpoint::id).isEqualTo(c.id());
        assertThatThrownBy(() -> registry.approve(c.id(), "bob", "again"))
                .isInstanceOfSatisfying(IllegalCheckpointStateException.class, e -> assertThat(e.conflict()).isFalse())
                .hasMessageContaining("is approved; it cannot become approved");
        assertThatThrownBy(() -> registry.deprecate(c.id(), "bob", " ")).hasMessageContaining("a reason is required");
        registry.deprecate(c.id(), "bob", "regressed on code tasks");
        assertThat(registry.approved("acme", "/models/base")).as("the cache is cleared by the transition").isEmpty();
        assertThatThrownBy(() -> registry.approve(c.id(), "alice", "back")).hasMessageContaining("nothing goes back");
        assertThat(registry.history(c.id())).extracting(t -> t.from() + ">" + t.to() + " " + t.actor() + ": "
                + t.reason()).containsExactly("null>DRAFT training: checkpoint at step 20 of job ftjob-1",
                        "DRAFT>APPROVED alice: eval 0.91 on the holdout", "APPROVED>DEPRECATED bob: regressed on code tasks");
        Checkpoint other = registry.register(job("ftjob-2", "/models/base", 2), LLAMA, 1, true, Map.of(), n -> { });
        assertThat(registry.deprecate(other.id(), "carol", "never used").stage()).isEqualTo(CheckpointStage.DEPRECATED);
    }

    @Test
    void concurrentTransitionsOfOneCheckpoint_exactlyOneWins_theOthersGetAConflict() throws Exception {
        for (int round = 0; round < 5; round++) {
            Checkpoint c = registry.register(job("ftjob-" + round, "/models/base", 2), LORA, round, false, Map.of(),
                    n -> { });
            int threads = 16;
            CyclicBarrier together = new CyclicBarrier(threads);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            AtomicInteger won = new AtomicInteger();
            AtomicInteger conflicts = new AtomicInteger();
            List<Future<?>> all = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                CheckpointStage to = i % 2 == 0 ? CheckpointStage.APPROVED : CheckpointStage.DEPRECATED;
                String actor = "user-" + i;
                all.add(pool.submit(() -> {
                    CheckpointStage seen = registry.get(c.id()).stage();
                    together.await();
                    try {
                        registry.transition(c.id(), seen, to, actor, "race");
                        won.incrementAndGet();
                    } catch (IllegalCheckpointStateException e) {
                        if (e.conflict()) {
                            conflicts.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : all) {
                f.get(60, TimeUnit.SECONDS);
            }
            pool.shutdown();
            assertThat(won.get()).as("round %d", round).isEqualTo(1);
            assertThat(conflicts.get()).isEqualTo(threads - 1);
            assertThat(registry.history(c.id())).hasSize(2);
        }
    }

    @Test
    void retention_keepsTheLastIntermediates_neverAnApprovedOne_andDeletesTheirUnusedBlobs() throws IOException {
        Job job = job("ftjob-1", "/models/base", 2);
        List<Checkpoint> made = new ArrayList<>();
        for (int step = 10; step <= 50; step += 10) {
            Path ckpt = copy(LORA, "checkpoint-" + step);
            Files.writeString(ckpt.resolve("trainer_state.json"), "{\"global_step\": " + step + "}");
            made.add(registry.register(job, ckpt, step, false, Map.of(), n -> { }));
            if (step == 20) {
                registry.approve(made.get(1).id(), "alice", "good enough to ship");
            }
        }
        assertThat(registry.list(CheckpointQuery.builder().jobId("ftjob-1").build()).items())
                .extracting(Checkpoint::step).containsExactly(50L, 40L, 20L);
        // the registry decides retention: the folders of the dropped ones go, once they were registered
        for (Checkpoint c : made) {
            boolean kept = c.step() == 20 || c.step() >= 40;
            assertThat(Files.exists(dir.resolve("checkpoint-" + c.step()))).as("folder of step " + c.step())
                    .isEqualTo(kept);
        }
        Checkpoint final_ = registry.register(job, copy(LORA, "final"), 50, true, Map.of(), n -> { });
        assertThat(registry.list(CheckpointQuery.builder().jobId("ftjob-1").build()).items()).hasSize(4)
                .contains(final_);
        List<String> referenced = registry.list(CheckpointQuery.all()).items().stream()
                .flatMap(c -> c.files().stream()).map(Checkpoint.File::sha256).distinct().sorted().toList();
        assertThat(blobs.keys()).as("the deleted checkpoints' own state files are gone")
                .containsExactlyInAnyOrderElementsOf(referenced);
    }

    /** The filesystem store, with deletes that can be made to fail and a hook after each put. */
    static final class Hooked extends ForwardingBlobStore {
        volatile boolean failDeletes;
        volatile Runnable afterPut = () -> { };

        Hooked(FilesystemBlobStore inner) {
            super(inner);
        }

        @Override
        public Blob put(Path file, String sha256, java.util.function.LongConsumer progress) throws IOException {
            Blob b = inner.put(file, sha256, progress);
            afterPut.run();
            return b;
        }

        @Override
        public boolean delete(String sha256) throws IOException {
            if (failDeletes) {
                throw new IOException("delete refused for the test");
            }
            return inner.delete(sha256);
        }
    }

    @Test
    void garbageCollection_neverDeletesABlobANewRegistrationUses() throws Exception {
        registry.close();
        Hooked hooked = new Hooked(new FilesystemBlobStore(dir.resolve("blobs")));
        registry = new CheckpointRegistry(SqliteCheckpoints.open(dir.resolve("training.db")), hooked,
                Clock.systemUTC(), id -> Optional.empty(), Duration.ofMinutes(5));
        // Job 1 keeps one checkpoint: its first one's blobs become unreferenced, and stay stored because
        // deleting fails for now.
        Job one = job("ftjob-1", "/models/base", 1);
        registry.register(one, copy(LORA, "first"), 1, false, Map.of(), n -> { });
        hooked.failDeletes = true;
        Path second = copy(LLAMA, "second");
        registry.register(one, second, 2, false, Map.of(), n -> { });
        hooked.failDeletes = false;
        String adapter = Digests.sha256(LORA.resolve("adapter_model.safetensors"));
        assertThat(blobs.stat(adapter)).as("unreferenced but still stored").isPresent();

        // Job 2 registers the same adapter: its upload finds the blob already stored, and a collection runs
        // right then, before the registration's row is written.
        AtomicInteger collections = new AtomicInteger();
        hooked.afterPut = () -> {
            if (collections.get() == 0) {
                collections.addAndGet(Math.max(1, registry.collectGarbage()));
            }
        };
        Checkpoint c = registry.register(job("ftjob-2", "/models/base", 2), copy(LORA, "third"), 1, false, Map.of(),
                n -> { });
        assertThat(collections.get()).as("the collection ran mid-registration").isPositive();
        for (Checkpoint.File f : c.files()) {
            assertThat(blobs.stat(f.sha256())).as(f.path() + " is stored again, not left dangling").isPresent();
        }
        Path out = registry.download(c.id(), dir.resolve("downloaded"), n -> { });
        assertThat(Files.mismatch(out.resolve("adapter_model.safetensors"), LORA.resolve("adapter_model.safetensors")))
                .isEqualTo(-1L);
    }

    @Test
    void downloads_verifyEveryFile_andFailLoudlyOnACorruptBlob() throws IOException {
        Checkpoint c = registry.register(job("ftjob-1", "/models/base", 2), LORA, 20, false, Map.of(), n -> { });
        List<Long> progress = new ArrayList<>();
        Path out = registry.download(c.id(), dir.resolve("out"), progress::add);
        assertThat(progress).last().isEqualTo(c.size());
        assertThat(Files.readString(out.resolve(CheckpointRegistry.MARKER)).trim()).isEqualTo(c.id());
        Checkpoint.File weights = c.files().get(1);
        Path stored = dir.resolve("blobs").resolve(weights.sha256().substring(0, 2)).resolve(weights.sha256());
        byte[] b = Files.readAllBytes(stored);
        b[100] ^= 1;
        Files.write(stored, b);
        Path again = dir.resolve("again");
        assertThatThrownBy(() -> registry.download(c.id(), again, n -> { })).isInstanceOf(StorageException.class)
                .hasMessageContaining("failed at adapter_model.safetensors").hasMessageContaining("is corrupt");
        assertThat(again.resolve("adapter_model.safetensors")).doesNotExist();
    }

    @Test
    void aJobStartingFromADownloadedCheckpoint_recordsItAsParent() throws IOException {
        Checkpoint c = registry.register(job("ftjob-1", "/models/base", 2), LLAMA, 20, true, Map.of(), n -> { });
        Path base = registry.download(c.id(), dir.resolve("from-registry"), n -> { });
        Checkpoint child = registry.register(job("ftjob-2", base.toString(), 2), LORA, 5, false, Map.of(), n -> { });
        assertThat(child.lineage().parent()).isEqualTo(c.id());
        assertThat(child.lineage().baseModelRevision()).startsWith("config.json sha256:");
    }
}
