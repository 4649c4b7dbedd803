package dev.koder.training.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.CheckpointPolicy;
import dev.koder.training.api.CheckpointQuery;
import dev.koder.training.api.CheckpointStage;
import dev.koder.training.api.EventLevel;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.JobStatus;
import dev.koder.training.core.blob.Digests;
import dev.koder.training.core.blob.FilesystemBlobStore;
import dev.koder.training.core.blob.ForwardingBlobStore;
import dev.koder.training.spi.BlobStore;
import dev.koder.training.sqlite.SqliteJobStore;
import dev.koder.training.tck.ScriptedRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoints registered by the running service, from a real trainer process (the scripted runner). */
class RegistryServiceTest {

    static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    Fixtures fx;
    Training training;

    @BeforeEach
    void setUp() {
        fx = new Fixtures(dir);
    }

    @AfterEach
    void tearDown() {
        if (training != null) {
            training.close();
        }
    }

    Training.Builder service() {
        return Training.builder().home(dir.resolve("home")).runner(new ScriptedRunner())
                .pollInterval(Duration.ofMillis(50)).cancelGracePeriod(Duration.ofSeconds(5));
    }

    List<Checkpoint> of(String jobId) {
        return training.checkpoints().list(CheckpointQuery.builder().jobId(jobId).build()).items();
    }

    @Test
    void aJobsCheckpointsAndOutput_areRegisteredAsDrafts_keepingTheLastIntermediates() throws Exception {
        training = service().build();
        JobSpec spec = fx.spec(10, Map.of("step_seconds", "0.05")).checkpoints(CheckpointPolicy.everySteps(2, 2))
                .build();
        Job done = training.jobs().await(training.jobs().submit(spec).id(), WAIT);
        assertThat(done.status()).isEqualTo(JobStatus.SUCCEEDED);
        List<Checkpoint> all = of(done.id());
        Checkpoint last = all.stream().filter(Checkpoint::last).findFirst().orElseThrow(
                () -> new AssertionError("the output is registered before the job is seen to succeed: " + all));
        assertThat(last.stage()).isEqualTo(CheckpointStage.DRAFT);
        assertThat(last.step()).isEqualTo(10);
        assertThat(last.artifact().rank()).isEqualTo(4);
        assertThat(last.metrics()).containsKey("loss");
        assertThat(last.lineage().datasets()).containsEntry(fx.data.toString(), Digests.sha256(fx.data));
        assertThat(last.lineage().baseModelRevision()).isEqualTo("config.json sha256:"
                + Digests.sha256(fx.model.resolve("config.json")));
        assertThat(Fixtures.events(training.jobs(), done.id())).anySatisfy(e -> assertThat(e.message())
                .startsWith("the output is registered as " + last.id() + " (draft, 2 files, "));
        // Intermediate checkpoints register in the background, each followed by its own trim to the last two (a
        // read between the two transactions sees three for a moment); the job kept its last two.
        long deadline = System.nanoTime() + WAIT.toNanos();
        while ((of(done.id()).stream().noneMatch(c -> !c.last() && c.step() == 10)
                || of(done.id()).stream().filter(c -> !c.last()).count() > 2) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(of(done.id())).filteredOn(c -> !c.last()).extracting(Checkpoint::step).containsExactly(10L, 8L);
        Checkpoint ten = of(done.id()).stream().filter(c -> !c.last() && c.step() == 10).findFirst().orElseThrow();
        assertThat(ten.files()).extracting(Checkpoint.File::path).containsExactly("adapter_config.json",
                "adapter_model.safetensors", "state.json");

        training.checkpoints().approve(last.id(), "alice", "the holdout looks right");
        assertThat(training.checkpoints().approved("acme", fx.model.toString())).get().extracting(Checkpoint::id)
                .isEqualTo(last.id());
        Path out = training.checkpoints().download(last.id(), dir.resolve("deploy"), n -> { });
        assertThat(Files.mismatch(out.resolve("adapter_model.safetensors"),
                Path.of(done.output()).resolve("adapter_model.safetensors"))).isEqualTo(-1L);
    }

    @Test
    void aResumedJob_recordsTheCheckpointItContinues() throws Exception {
        training = service().build();
        JobSpec spec = fx.spec(400, Map.of("step_seconds", "0.05")).checkpoints(CheckpointPolicy.everySteps(1000, 2))
                .build();
        Job first = training.jobs().submit(spec);
        Fixtures.waitFor(training.jobs(), first.id(), j -> j.progress().step() != null && j.progress().step() > 2,
                WAIT);
        training.jobs().cancel(first.id());
        Job cancelled = training.jobs().await(first.id(), WAIT);
        assertThat(cancelled.lastCheckpoint()).isNotNull();
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (of(first.id()).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        Checkpoint saved = of(first.id()).get(0);
        Job resumed = training.jobs().resume(first.id());
        Fixtures.waitFor(training.jobs(), resumed.id(), j -> j.progress().step() != null
                && j.progress().step() > cancelled.progress().step(), WAIT);
        training.jobs().cancel(resumed.id());
        training.jobs().await(resumed.id(), WAIT);
        deadline = System.nanoTime() + WAIT.toNanos();
        while (of(resumed.id()).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(of(resumed.id())).isNotEmpty().allSatisfy(c -> assertThat(c.lineage().parent())
                .isEqualTo(saved.id()));
    }

    /** A blob store that cannot store anything, as when the disk or the bucket is gone. */
    static final class Broken implements BlobStore {
        @Override
        public String location() {
            return "nowhere";
        }

        @Override
        public Blob put(Path file, String sha256, LongConsumer progress) throws IOException {
            throw new IOException("the store is unreachable");
        }

        @Override
        public Optional<Blob> stat(String sha256) throws IOException {
            throw new IOException("the store is unreachable");
        }

        @Override
        public void get(String sha256, Path target, LongConsumer progress) throws IOException {
            throw new IOException("the store is unreachable");
        }

        @Override
        public boolean delete(String sha256) throws IOException {
            throw new IOException("the store is unreachable");
        }

        @Override
        public List<String> keys() throws IOException {
            throw new IOException("the store is unreachable");
        }
    }

    @Test
    void whatCouldNotBeRegistered_isSaid_andRegisteredWhenTheWorkerStartsAgain() throws Exception {
        training = service().blobStore(new Broken()).build();
        Job done = training.jobs().await(training.jobs().submit(fx.spec(4)).id(), WAIT);
        assertThat(done.status()).as("the output is still in the job folder").isEqualTo(JobStatus.SUCCEEDED);
        assertThat(Fixtures.events(training.jobs(), done.id())).anySatisfy(e -> {
            assertThat(e.level()).isEqualTo(EventLevel.WARN);
            assertThat(e.message()).startsWith("the output in " + done.output() + " was not registered: ")
                    .contains("the store is unreachable").endsWith("it is registered when the worker starts again");
        });
        training.close();
        training = service().blobStore(new FilesystemBlobStore(dir.resolve("home/blobs"))).build();
        // the registry's row comes a moment before the note that tells it: wait for the note
        Fixtures.waitFor(training.jobs(), done.id(), j -> Fixtures.events(training.jobs(), j.id()).stream().anyMatch(
                e -> e.message().startsWith("the output is registered as ckpt-")), WAIT);
        assertThat(of(done.id())).singleElement().satisfies(c -> {
            assertThat(c.last()).isTrue();
            assertThat(c.step()).isEqualTo(4);
        });
        List<JobEvent> events = Fixtures.events(training.jobs(), done.id());
        assertThat(events.get(events.size() - 1).message()).startsWith("the output is registered as ckpt-");
    }

    /** A filesystem blob store whose puts of an intermediate checkpoint's files wait until the test opens it. */
    static final class Held extends ForwardingBlobStore {
        final CountDownLatch open = new CountDownLatch(1);

        Held(Path root) throws IOException {
            super(new FilesystemBlobStore(root));
        }

        @Override
        public Blob put(Path file, String sha256, LongConsumer progress) throws IOException {
            boolean intermediate = false;
            for (Path p = file.getParent(); p != null; p = p.getParent()) {
                intermediate |= p.getFileName() != null && p.getFileName().toString().startsWith("checkpoint-");
            }
            try {
                if (intermediate && !open.await(WAIT.toSeconds(), TimeUnit.SECONDS)) {
                    throw new IOException("the test never let the checkpoint's files through");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
            return super.put(file, sha256, progress);
        }
    }

    @Test
    void aJobEnds_onlyOnceTheCheckpointsItsTrainerWrote_areRegistered() throws Exception {
        Held held = new Held(dir.resolve("home/blobs"));
        // a reconciler looking often: a job whose trainer is gone but whose end waits is still its supervisor's
        training = service().blobStore(held).reconcileInterval(Duration.ofMillis(50)).build();
        JobSpec spec = fx.spec(4, Map.of("step_seconds", "0.05")).checkpoints(CheckpointPolicy.everySteps(2, 2))
                .build();
        String id = training.jobs().submit(spec).id();
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (Fixtures.events(training.jobs(), id).stream().noneMatch(e -> e.message()
                .startsWith("the trainer ended; the job ends once its ")) && System.nanoTime() < deadline) {
            Job now = training.jobs().get(id);
            assertThat(now.status().isTerminal()).as("the job ended before its checkpoints were registered: %s",
                    Fixtures.events(training.jobs(), id)).isFalse();
            Thread.sleep(50);
        }
        assertThat(training.jobs().get(id).status()).isEqualTo(JobStatus.RUNNING);
        assertThat(of(id)).as("nothing registered while the blob store holds the checkpoints").isEmpty();

        held.open.countDown();
        Job done = training.jobs().await(id, WAIT);
        assertThat(done.status()).isEqualTo(JobStatus.SUCCEEDED);
        List<JobEvent> events = Fixtures.events(training.jobs(), id);
        assertThat(events.get(events.size() - 1).message()).as("the end is the last event: " + events)
                .startsWith("succeeded: output in ");
        assertThat(events).extracting(JobEvent::message).noneMatch(m -> m.contains("no supervisor watched"));
        assertThat(events).filteredOn(e -> e.message().startsWith("the checkpoint at step "))
                .extracting(e -> e.message().substring(0, "the checkpoint at step 2 is registered as".length()))
                .containsExactly("the checkpoint at step 2 is registered as", "the checkpoint at step 4 is registered as");
        assertThat(of(id)).filteredOn(c -> !c.last()).extracting(Checkpoint::step).containsExactlyInAnyOrder(2L, 4L);
        assertThat(of(id)).filteredOn(Checkpoint::last).singleElement().extracting(Checkpoint::step).isEqualTo(4L);
    }

    @Test
    void aRegistrationThatOutlastsTheWait_isToldAfterTheEnd() throws Exception {
        Held held = new Held(dir.resolve("home/blobs"));
        training = service().blobStore(held).property(Training.REGISTRATION_WAIT_PROPERTY, "PT1S").build();
        JobSpec spec = fx.spec(4, Map.of("step_seconds", "0.05")).checkpoints(CheckpointPolicy.everySteps(2, 2))
                .build();
        Job done = training.jobs().await(training.jobs().submit(spec).id(), WAIT);
        assertThat(done.status()).isEqualTo(JobStatus.SUCCEEDED);
        List<JobEvent> events = Fixtures.events(training.jobs(), done.id());
        held.open.countDown();
        // the warning, then the output's registration and the end with its usage record
        assertThat(events.subList(events.size() - 4, events.size())).extracting(JobEvent::level, JobEvent::type)
                .containsExactly(tuple(EventLevel.WARN, JobEvent.TYPE_NOTE), tuple(EventLevel.INFO,
                        JobEvent.TYPE_NOTE), tuple(EventLevel.INFO, JobEvent.TYPE_USAGE), tuple(EventLevel.INFO,
                        JobEvent.TYPE_STATUS));
        assertThat(events.get(events.size() - 4).message()).startsWith("the job ends before its ").contains(
                " registered (waited 1 s, " + Training.REGISTRATION_WAIT_PROPERTY + "); the next event of the job "
                        + "tells when ");
        assertThat(events.get(events.size() - 3).message()).startsWith("the output is registered as ");
        // the note follows the registry's row, so wait for the note itself
        Fixtures.waitFor(training.jobs(), done.id(), j -> Fixtures.events(training.jobs(), j.id()).stream().skip(
                events.size()).anyMatch(e -> e.message().startsWith("the checkpoint at step 2 is registered as ")),
                WAIT);
        assertThat(of(done.id())).extracting(Checkpoint::step).contains(2L);
    }

    @Test
    void aJobWaitingForItsRegistrations_whenTheServiceCloses_endsBeforeTheStoreIsClosed() throws Exception {
        Held held = new Held(dir.resolve("home/blobs"));
        training = service().blobStore(held).build();
        JobSpec spec = fx.spec(4, Map.of("step_seconds", "0.05")).checkpoints(CheckpointPolicy.everySteps(2, 2))
                .build();
        String id = training.jobs().submit(spec).id();
        Fixtures.waitFor(training.jobs(), id, j -> Fixtures.events(training.jobs(), id).stream().anyMatch(e -> e
                .message().startsWith("the trainer ended; the job ends once its ")), WAIT);
        Thread opener = new Thread(() -> {
            try {
                Thread.sleep(500); // the service is closing by then: it waits for the registry's thread
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            held.open.countDown();
        });
        opener.start();
        training.close();
        opener.join();
        try (SqliteJobStore store = SqliteJobStore.open(dir.resolve("home/training.db"), Clock.systemUTC())) {
            assertThat(store.find(id).orElseThrow().status()).as("stored as it closed").isEqualTo(JobStatus.SUCCEEDED);
        }
        training = service().runJobs(false).build();
        List<JobEvent> events = Fixtures.events(training.jobs(), id);
        assertThat(events.get(events.size() - 1).message()).startsWith("succeeded: output in ");
        assertThat(of(id)).extracting(Checkpoint::step).containsExactlyInAnyOrder(2L, 4L, 4L);
    }
}
