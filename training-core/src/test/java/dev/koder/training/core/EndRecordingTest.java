package dev.koder.training.core;

import static dev.koder.training.core.Fixtures.events;
import static dev.koder.training.core.Fixtures.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.StorageException;
import dev.koder.training.spi.JobStore;
import dev.koder.training.spi.JobUpdate;
import dev.koder.training.spi.NewEvent;
import dev.koder.training.spi.Updated;
import dev.koder.training.sqlite.SqliteJobStore;
import dev.koder.training.tck.ForwardingJobStore;
import dev.koder.training.tck.ScriptedRunner;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store that refuses to record how an attempt ended (busy, a full disk): the job still reaches its end once the
 * store takes it again, and a cancel asked for in between is acted on; it never stays RUNNING without a trainer.
 */
class EndRecordingTest {

    static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    /** Refuses the first {@code refusals} moves of a running job to another status. */
    static final class RefusingStore extends ForwardingJobStore {
        final AtomicInteger refusals;
        final AtomicInteger refused = new AtomicInteger();

        RefusingStore(JobStore inner, int refusals) {
            super(inner);
            this.refusals = new AtomicInteger(refusals);
        }

        @Override
        public Optional<Updated> update(String id, JobStatus expected, JobUpdate update, List<NewEvent> events) {
            if (expected == JobStatus.RUNNING && update.status() != null && update.status() != JobStatus.RUNNING
                    && refusals.getAndDecrement() > 0) {
                refused.incrementAndGet();
                throw new StorageException("database is locked (refused by the test)", true, null);
            }
            return inner.update(id, expected, update, events);
        }
    }

    RefusingStore store(int refusals) throws java.io.IOException {
        java.nio.file.Files.createDirectories(dir.resolve("home"));
        return new RefusingStore(SqliteJobStore.open(dir.resolve("home").resolve("training.db"), Clock.systemUTC()),
                refusals);
    }

    Training service(RefusingStore store) {
        return Training.builder().home(dir.resolve("home")).runner(new ScriptedRunner()).jobStore(store)
                .pollInterval(Duration.ofMillis(50)).cancelGracePeriod(Duration.ofSeconds(3)).build();
    }

    @Test
    void anEndTheStoreRefusesAtFirst_isRecordedOnceItTakesIt() throws Exception {
        Fixtures fx = new Fixtures(dir);
        RefusingStore store = store(2);
        try (Training training = service(store)) {
            Job done = training.jobs().await(training.jobs().submit(fx.spec(5)).id(), WAIT);
            assertThat(done.status()).isEqualTo(JobStatus.SUCCEEDED);
            assertThat(store.refused.get()).isEqualTo(2);
            assertThat(events(training.jobs(), done.id()).stream().filter(e -> e.type().equals(JobEvent.TYPE_STATUS)
                    && "succeeded".equals(e.data().get("to")))).as("recorded once").hasSize(1);
            // the GPUs (here: the slot) went back: the next job runs
            assertThat(training.jobs().await(training.jobs().submit(fx.spec(2)).id(), WAIT).status())
                    .isEqualTo(JobStatus.SUCCEEDED);
        }
    }

    @Test
    void aCancelAskedWhileTheEndCannotBeRecorded_isActedOn() throws Exception {
        Fixtures fx = new Fixtures(dir);
        RefusingStore store = store(3);
        try (Training training = service(store)) {
            Job job = training.jobs().submit(fx.spec(400, Map.of("step_seconds", "0.05")).build());
            waitFor(training.jobs(), job.id(), j -> j.progress().step() != null && j.progress().step() >= 3, WAIT);
            String ref = events(training.jobs(), job.id()).stream().map(e -> e.data().get("execution"))
                    .filter(x -> x != null).findFirst().orElseThrow().toString();
            ProcessHandle.of(Long.parseLong(ref.split(":")[1])).orElseThrow().destroyForcibly();
            waitFor(training.jobs(), job.id(), j -> store.refused.get() >= 1, WAIT);
            assertThat(training.jobs().get(job.id()).status()).as("not recorded yet").isEqualTo(JobStatus.RUNNING);
            training.jobs().cancel(job.id());
            Job done = training.jobs().await(job.id(), WAIT);
            assertThat(done.status()).as("the cancel wins over a retry of the killed trainer")
                    .isEqualTo(JobStatus.CANCELLED);
            assertThat(store.refused.get()).isEqualTo(3);
        }
    }
}
