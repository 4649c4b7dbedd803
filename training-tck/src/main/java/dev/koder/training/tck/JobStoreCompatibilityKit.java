package dev.koder.training.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobNotFoundException;
import dev.koder.training.api.JobProgress;
import dev.koder.training.api.JobQuery;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Page;
import dev.koder.training.spi.JobRecord;
import dev.koder.training.spi.JobStore;
import dev.koder.training.spi.JobUpdate;
import dev.koder.training.spi.Updated;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every {@link JobStore} must do. Extend it, implement {@link #openStore(Path)}, and run it with the
 * implementation's tests:
 *
 * <pre>{@code
 * class PostgresJobStoreTest extends JobStoreCompatibilityKit {
 *     protected JobStore openStore(Path dir) { return new PostgresJobStore(...); }
 * }
 * }</pre>
 */
public abstract class JobStoreCompatibilityKit {

    /** A folder the store may use; the same for every {@link #openStore(Path)} call of one test. */
    @TempDir
    protected Path dir;

    /** The store under test. */
    protected JobStore store;

    /**
     * @param dir a folder the store may write to
     * @return a store; calling it again with the same folder must see what the first one stored when {@link
     *     #supportsReopen()} is true
     */
    protected abstract JobStore openStore(Path dir);

    /** @return whether a store opened again on the same folder keeps its data */
    protected boolean supportsReopen() {
        return true;
    }

    @BeforeEach
    void open(TestReporter reporter) {
        store = openStore(dir);
        reporter.publishEntry("implementation", store.getClass().getName());
    }

    @AfterEach
    void close() {
        store.close();
    }

    static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

    static String id(int n) {
        return String.format("ftjob-%06d", n);
    }

    JobRecord insert(int n, String tenant) {
        JobRecord r = Samples.queued(id(n), tenant, T0.plusSeconds(n));
        store.insert(r, List.of(Samples.note("created " + n)));
        return r;
    }

    /** Storing and reading jobs. */
    @Nested
    class Storing {
        @Test
        void insert_thenFind_returnsTheSameJob_andItsFirstEvents() {
            JobRecord r = insert(1, "acme");
            assertThat(store.find(id(1))).contains(r);
            Page<JobEvent> events = store.events(id(1), 0, 10);
            assertThat(events.items()).singleElement().satisfies(e -> {
                assertThat(e.seq()).isEqualTo(1);
                assertThat(e.jobId()).isEqualTo(id(1));
                assertThat(e.message()).isEqualTo("created 1");
                assertThat(e.data()).containsEntry("n", 9).containsKey("nested");
            });
            assertThat(events.nextCursor()).isNull();
        }

        @Test
        void find_unknownId_isEmpty() {
            assertThat(store.find("ftjob-nope")).isEmpty();
        }

        @Test
        void insert_sameIdTwice_isRefused() {
            insert(1, "acme");
            assertThatThrownBy(() -> insert(1, "acme")).isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        void reopen_keepsJobsAndEvents() {
            Assumptions.assumeTrue(supportsReopen(), JobStoreCompatibilityKit.this.getClass().getSimpleName()
                    + ": the store cannot be reopened (supportsReopen() is false)");
            insert(1, "acme");
            store.update(id(1), JobStatus.QUEUED, JobUpdate.to(JobStatus.RUNNING).build(), List.of(Samples.note("run")));
            store.close();
            store = openStore(dir);
            assertThat(store.find(id(1))).get().extracting(JobRecord::status).isEqualTo(JobStatus.RUNNING);
            assertThat(store.events(id(1), 0, 10).items()).extracting(JobEvent::seq).containsExactly(1L, 2L);
        }
    }

    /** Listing and paging. */
    @Nested
    class Listing {
        @Test
        void list_isNewestFirst_andPagesWithTheCursor() {
            for (int i = 1; i <= 5; i++) {
                insert(i, "acme");
            }
            Page<JobRecord> first = store.list(JobQuery.builder().limit(2).build());
            assertThat(first.items()).extracting(JobRecord::id).containsExactly(id(5), id(4));
            Page<JobRecord> second = store.list(JobQuery.builder().limit(2).after(first.nextCursor()).build());
            assertThat(second.items()).extracting(JobRecord::id).containsExactly(id(3), id(2));
            Page<JobRecord> last = store.list(JobQuery.builder().limit(2).after(second.nextCursor()).build());
            assertThat(last.items()).extracting(JobRecord::id).containsExactly(id(1));
            assertThat(last.nextCursor()).isNull();
        }

        @Test
        void list_filtersByTenantAndStatus() {
            insert(1, "acme");
            insert(2, "globex");
            insert(3, "acme");
            store.update(id(3), JobStatus.QUEUED, JobUpdate.to(JobStatus.CANCELLED).build(), List.of());
            assertThat(store.list(JobQuery.builder().tenant("acme").build()).items()).extracting(JobRecord::id)
                    .containsExactly(id(3), id(1));
            assertThat(store.list(JobQuery.builder().status(JobStatus.QUEUED).build()).items())
                    .extracting(JobRecord::id).containsExactly(id(2), id(1));
            assertThat(store.list(JobQuery.builder().tenant("acme").status(JobStatus.CANCELLED)
                    .status(JobStatus.FAILED).build()).items()).extracting(JobRecord::id).containsExactly(id(3));
        }

        @Test
        void findByStatus_isOldestFirst() {
            insert(2, "acme");
            insert(1, "acme");
            insert(3, "acme");
            store.update(id(2), JobStatus.QUEUED, JobUpdate.to(JobStatus.RUNNING).build(), List.of());
            assertThat(store.findByStatus(EnumSet.of(JobStatus.QUEUED))).extracting(JobRecord::id)
                    .containsExactly(id(1), id(3));
            assertThat(store.findByStatus(EnumSet.of(JobStatus.QUEUED, JobStatus.RUNNING))).extracting(JobRecord::id)
                    .containsExactly(id(1), id(2), id(3));
            assertThat(store.idsByStatus(EnumSet.of(JobStatus.QUEUED))).containsExactly(id(1), id(3));
            assertThat(store.idsByStatus(EnumSet.of(JobStatus.QUEUED, JobStatus.RUNNING)))
                    .containsExactly(id(1), id(2), id(3));
            assertThat(store.idsByStatus(EnumSet.noneOf(JobStatus.class))).isEmpty();
        }
    }

    /** Changing jobs. */
    @Nested
    class Updating {
        @Test
        void update_inExpectedStatus_appliesTheChange_andNumbersEventsOnFromTheLast() {
            insert(1, "acme");
            JobProgress p = new JobProgress(3L, 10L, 0.3, 1.5, 1e-4, 0.9, 300L, 50.0, 1.0, null);
            Optional<Updated> u = store.update(id(1), JobStatus.QUEUED, JobUpdate.to(JobStatus.RUNNING).attempt(1)
                    .progress(p).execution("local", "pid:1:2").eventsOffset(42).build(),
                    List.of(Samples.note("a"), Samples.note("b")));
            assertThat(u).isPresent();
            assertThat(u.get().events()).extracting(JobEvent::seq).containsExactly(2L, 3L);
            JobRecord stored = store.find(id(1)).orElseThrow();
            assertThat(stored).isEqualTo(u.get().record());
            assertThat(stored.status()).isEqualTo(JobStatus.RUNNING);
            assertThat(stored.job().startedAt()).isNotNull();
            assertThat(stored.job().progress()).isEqualTo(p);
            assertThat(stored.executionRef()).isEqualTo("pid:1:2");
            assertThat(stored.eventsOffset()).isEqualTo(42);
        }

        @Test
        void update_withAStaleExpectedStatus_changesNothing() {
            insert(1, "acme");
            store.update(id(1), JobStatus.QUEUED, JobUpdate.to(JobStatus.CANCELLED).build(), List.of());
            assertThat(store.update(id(1), JobStatus.QUEUED, JobUpdate.to(JobStatus.RUNNING).build(),
                    List.of(Samples.note("late")))).isEmpty();
            assertThat(store.find(id(1)).orElseThrow().status()).isEqualTo(JobStatus.CANCELLED);
            assertThat(store.events(id(1), 0, 10).items()).hasSize(1);
        }

        @Test
        void update_anIllegalMove_isRefused_andChangesNothing() {
            insert(1, "acme");
            store.update(id(1), JobStatus.QUEUED, JobUpdate.to(JobStatus.CANCELLED).build(), List.of());
            assertThatThrownBy(() -> store.update(id(1), JobStatus.CANCELLED, JobUpdate.to(JobStatus.RUNNING).build(),
                    List.of(Samples.note("zombie")))).isInstanceOf(IllegalStateException.class);
            assertThat(store.find(id(1)).orElseThrow().status()).isEqualTo(JobStatus.CANCELLED);
            assertThat(store.events(id(1), 0, 10).items()).hasSize(1);
        }

        @Test
        void update_unknownJob_throwsJobNotFound() {
            assertThatThrownBy(() -> store.update("ftjob-nope", JobStatus.QUEUED, JobUpdate.builder().build(), List.of()))
                    .isInstanceOf(JobNotFoundException.class);
        }

        @Test
        void cancelRequests_areCounted_andClearedOnAFinalStatus() {
            insert(1, "acme");
            store.update(id(1), JobStatus.QUEUED, JobUpdate.to(JobStatus.RUNNING).build(), List.of());
            store.update(id(1), JobStatus.RUNNING, JobUpdate.builder().requestCancel().build(), List.of());
            JobRecord twice = store.update(id(1), JobStatus.RUNNING, JobUpdate.builder().requestCancel().build(),
                    List.of()).orElseThrow().record();
            assertThat(twice.cancelRequests()).isEqualTo(2);
            assertThat(twice.job().cancelRequested()).isTrue();
            JobRecord done = store.update(id(1), JobStatus.RUNNING, JobUpdate.to(JobStatus.CANCELLED).build(), List.of())
                    .orElseThrow().record();
            assertThat(done.job().cancelRequested()).isFalse();
            assertThat(done.job().finishedAt()).isNotNull();
        }

        @Test
        void concurrentUpdates_fromManyThreads_loseNoEvent_andLeaveNoGapInTheNumbers() throws Exception {
            insert(1, "acme");
            store.update(id(1), JobStatus.QUEUED, JobUpdate.to(JobStatus.RUNNING).build(), List.of());
            int threads = 8;
            int perThread = 25;
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        store.update(id(1), JobStatus.RUNNING, JobUpdate.builder().eventsOffset(thread * 1000L + i)
                                .build(), List.of(Samples.note(thread + "-" + i)));
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
            pool.shutdown();
            List<JobEvent> all = new ArrayList<>();
            long after = 0;
            Page<JobEvent> page;
            do {
                page = store.events(id(1), after, 37);
                all.addAll(page.items());
                after = page.items().isEmpty() ? after : page.items().get(page.items().size() - 1).seq();
            } while (page.nextCursor() != null);
            assertThat(all).hasSize(1 + threads * perThread);
            for (int i = 0; i < all.size(); i++) {
                assertThat(all.get(i).seq()).isEqualTo(i + 1L);
            }
        }
    }

    /** Reading events. */
    @Nested
    class Events {
        @Test
        void events_ofAnUnknownJob_throwJobNotFound() {
            assertThatThrownBy(() -> store.events("ftjob-nope", 0, 10)).isInstanceOf(JobNotFoundException.class);
        }

        @Test
        void events_pageInOrder() {
            insert(1, "acme");
            for (int i = 0; i < 4; i++) {
                store.update(id(1), JobStatus.QUEUED, JobUpdate.builder().build(), List.of(Samples.note("e" + i)));
            }
            Page<JobEvent> first = store.events(id(1), 0, 3);
            assertThat(first.items()).extracting(JobEvent::seq).containsExactly(1L, 2L, 3L);
            assertThat(first.nextCursor()).isEqualTo("3");
            Page<JobEvent> rest = store.events(id(1), 3, 3);
            assertThat(rest.items()).extracting(JobEvent::message).containsExactly("e2", "e3");
            assertThat(rest.nextCursor()).isNull();
        }
    }
}
