package dev.koder.training.core;

import static dev.koder.training.core.Fixtures.events;
import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.Job;
import dev.koder.training.api.JobProgress;
import dev.koder.training.api.JobStatus;
import dev.koder.training.spi.JobRecord;
import dev.koder.training.sqlite.SqliteJobStore;
import dev.koder.training.tck.ScriptedRunner;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker's reconciler, while the service runs (not only at start): a job stored as RUNNING that no
 * supervisor watches is taken over: queued again to resume when nobody asked to cancel it, cancelled when
 * somebody did.
 */
class ReconcilerTest {

    static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void runningJobsNobodyWatches_areTakenOverWhileTheServiceRuns() throws Exception {
        Fixtures fx = new Fixtures(dir);
        try (Training training = Training.builder().home(dir.resolve("home")).runner(new ScriptedRunner())
                .pollInterval(Duration.ofMillis(50)).reconcileInterval(Duration.ofMillis(200)).build();
                SqliteJobStore other = SqliteJobStore.open(training.home().resolve("training.db"),
                        Clock.systemUTC())) {
            // as a process that claimed them and died would leave them, written behind the service's back
            Instant now = Instant.now();
            Job orphan = Job.builder().id("ftjob-orphan").spec(fx.spec(3)).status(JobStatus.RUNNING).runner("script")
                    .createdAt(now).updatedAt(now).startedAt(now).attempt(1).progress(JobProgress.NONE).build();
            Job cancelled = orphan.toBuilder().id("ftjob-orphan-cancel").cancelRequested(true).build();
            other.insert(JobRecord.of(orphan), List.of());
            other.insert(new JobRecord(cancelled, null, null, 0, 1), List.of());

            Job done = training.jobs().await(orphan.id(), WAIT);
            assertThat(done.status()).as(events(training.jobs(), orphan.id()).toString())
                    .isEqualTo(JobStatus.SUCCEEDED);
            assertThat(events(training.jobs(), orphan.id())).anySatisfy(e -> assertThat(e.message())
                    .startsWith("no supervisor watched the job (its end was never recorded); queued again"));
            assertThat(training.jobs().await(cancelled.id(), WAIT).status()).isEqualTo(JobStatus.CANCELLED);
        }
    }
}
