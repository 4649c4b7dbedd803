package dev.koder.training.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobStatus;
import dev.koder.training.spi.UsageRecord;
import dev.koder.training.sqlite.SqliteJobStore;
import dev.koder.training.tck.ScriptedRunner;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Usage records go to the usage sinks from the job store, where each attempt's usage is stored with its end: a worker
 * killed between the two loses no record, and none is handed over twice.
 */
class UsageFeedTest {

    @TempDir
    Path dir;

    @Test
    void aWorkerKilledRightAfterAnAttemptEnds_losesNoUsageRecord_andTheNextWorkerHandsItOverOnce() throws Exception {
        Fixtures fx = new Fixtures(dir);
        Path home = dir.resolve("home");
        String id;
        try (Training client = Training.builder().home(home).runner(new ScriptedRunner()).runJobs(false).build()) {
            id = client.jobs().submit(fx.spec(5)).id();
        }
        Process host = ServiceHost.start(home, "halt-after-end");
        assertThat(host.waitFor(60, TimeUnit.SECONDS)).as("the worker halted after the job's end").isTrue();
        String out = new String(host.getInputStream().readAllBytes());
        assertThat(host.exitValue()).as("it printed: %s", out).isEqualTo(137);
        assertThat(out).doesNotContain("usage handed over");

        try (SqliteJobStore store = SqliteJobStore.open(home.resolve("training.db"), Clock.systemUTC())) {
            assertThat(store.find(id).orElseThrow().status()).isEqualTo(JobStatus.SUCCEEDED);
            List<JobEvent> events = store.events(id, 0, 1000).items();
            JobEvent last = events.get(events.size() - 1);
            JobEvent usage = events.get(events.size() - 2);
            assertThat(last.type()).isEqualTo(JobEvent.TYPE_STATUS);
            assertThat(usage.type()).as("the usage is stored with the end, just before it")
                    .isEqualTo(JobEvent.TYPE_USAGE);
            assertThat(usage.message()).startsWith("attempt 1 used ").contains("cpu");
        }

        List<UsageRecord> got = new CopyOnWriteArrayList<>();
        try (Training worker = Training.builder().home(home).runner(new ScriptedRunner())
                .pollInterval(Duration.ofMillis(50)).usageSink(got::add).build()) {
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (got.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            Thread.sleep(500);
            Job job = worker.jobs().get(id);
            assertThat(got).singleElement().satisfies(u -> {
                assertThat(u.jobId()).isEqualTo(id);
                assertThat(u.tenant()).isEqualTo("acme");
                assertThat(u.attempt()).isEqualTo(1);
                assertThat(u.outcome()).isEqualTo(JobStatus.SUCCEEDED);
                assertThat(u.gpuType()).isEqualTo("cpu");
                assertThat(u.tokens()).isEqualTo(5 * 64);
                assertThat(u.endedAt()).isAfterOrEqualTo(u.startedAt()).isAfter(job.createdAt());
                assertThat(u.key()).isEqualTo("usage/" + id + "/1");
            });
        }

        List<UsageRecord> again = new CopyOnWriteArrayList<>();
        try (Training worker = Training.builder().home(home).runner(new ScriptedRunner())
                .pollInterval(Duration.ofMillis(50)).usageSink(again::add).build()) {
            Thread.sleep(1500);
        }
        assertThat(again).as("a record handed over is not handed over again").isEmpty();
    }
}
