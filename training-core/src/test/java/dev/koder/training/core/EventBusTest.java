package dev.koder.training.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.EventLevel;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobProgress;
import dev.koder.training.api.JobStatus;
import dev.koder.training.spi.JobRecord;
import dev.koder.training.spi.JobUpdate;
import dev.koder.training.spi.NewEvent;
import dev.koder.training.spi.Updated;
import dev.koder.training.sqlite.SqliteJobStore;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bus against a real SQLite job store, the order of its two ways of hearing a job's events forced: the store's
 * poll (what other processes wrote) and this process's own publishing.
 */
class EventBusTest {

    @TempDir
    Path dir;
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
    private final List<JobEvent> heard = new CopyOnWriteArrayList<>();
    private SqliteJobStore store;
    private EventBus bus;

    @BeforeEach
    void open() {
        store = SqliteJobStore.open(dir.resolve("training.db"), Clock.systemUTC());
        bus = new EventBus(List.of());
        bus.add((job, e) -> heard.add(e));
    }

    @AfterEach
    void close() throws Exception {
        timers.shutdownNow();
        bus.close();
        store.close();
    }

    @Test
    void aJobsEndToldByTheStoresPollFirst_isNotToldAgainWhenThisProcessPublishesIt() throws Exception {
        Job job = followed("ftjob-bus");
        // the job ends; the poll reads its status event from the store before this process publishes it
        Updated end = store.update(job.id(), JobStatus.RUNNING, JobUpdate.to(JobStatus.SUCCEEDED).build(),
                List.of(event(JobEvent.TYPE_PROGRESS, Map.of("step", 3)),
                        event(JobEvent.TYPE_STATUS, Map.of("from", "running", "to", "succeeded")))).orElseThrow();
        await("the poll told the end", () -> heard.size() == 3);
        bus.publish(end.record().job(), end.events());
        // and an event after the end, this process's own, is told once too
        Updated note = store.update(job.id(), JobStatus.SUCCEEDED, JobUpdate.builder().build(),
                List.of(event("note", Map.of()))).orElseThrow();
        bus.publish(note.record().job(), note.events());
        bus.drain();

        assertThat(heard).extracting(JobEvent::seq).containsExactly(1L, 2L, 3L, 4L);
    }

    @Test
    void anEventAnotherProcessWritesJustAfterAJobsEnd_isStillTold() throws Exception {
        Job job = followed("ftjob-late");
        // every write below is another process's: this one never publishes it, only the poll can tell it
        store.update(job.id(), JobStatus.RUNNING, JobUpdate.to(JobStatus.SUCCEEDED).build(),
                List.of(event(JobEvent.TYPE_STATUS, Map.of("from", "running", "to", "succeeded"))));
        await("the poll told the end", () -> heard.size() == 2);
        Thread.sleep(200); // several polls after the end
        store.update(job.id(), JobStatus.SUCCEEDED, JobUpdate.builder().build(), List.of(event("note", Map.of())));
        await("the poll told the event written after the end", () -> heard.size() == 3);

        assertThat(heard).extracting(JobEvent::seq).containsExactly(1L, 2L, 3L);
    }

    /**
     * A running job with one event, made a moment from now: after following began (the listener's adding), so the
     * store's poll, started here, tells it from its first event; returned once it has.
     */
    private Job followed(String id) throws InterruptedException {
        Instant now = Instant.now().plusMillis(1);
        Job job = Job.builder().id(id).spec(new Fixtures(dir).spec(3)).status(JobStatus.RUNNING).runner("script")
                .createdAt(now).updatedAt(now).startedAt(now).attempt(1).progress(JobProgress.NONE).build();
        store.insert(JobRecord.of(job), List.of(event(JobEvent.TYPE_PROGRESS, Map.of("step", 1))));
        bus.follow(store, Duration.ofMillis(20), timers);
        await("the poll told the first event", () -> heard.size() == 1);
        return job;
    }

    private static NewEvent event(String type, Map<String, Object> data) {
        return new NewEvent(Instant.now(), EventLevel.INFO, type, type, data);
    }

    private static void await(String what, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!done.getAsBoolean()) {
            assertThat(System.nanoTime()).as("timed out waiting: " + what).isLessThan(deadline);
            Thread.sleep(10);
        }
    }
}
