package dev.koder.training.core;

import dev.koder.training.tck.ScriptedRunner;
import static dev.koder.training.core.Fixtures.events;
import static dev.koder.training.core.Fixtures.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Closing and reopening the service, and two processes (here: two instances) on one home. */
class RestartTest {

    static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    Training.Builder service(Fixtures fx) {
        return Training.builder().home(dir.resolve("home")).runner(new ScriptedRunner())
                .pollInterval(Duration.ofMillis(50)).cancelGracePeriod(Duration.ofSeconds(5))
                .shutdownGracePeriod(Duration.ofSeconds(10));
    }

    @Test
    void close_stopsTheTrainerWithACheckpoint_andTheNextServiceResumesFromIt() throws Exception {
        Fixtures fx = new Fixtures(dir);
        String id;
        long stoppedAt;
        try (Training first = service(fx).build()) {
            id = first.jobs().submit(fx.spec(60, Map.of("step_seconds", "0.05")).build()).id();
            waitFor(first.jobs(), id, j -> j.progress().step() != null && j.progress().step() >= 5, WAIT);
        }
        try (Training reader = service(fx).runJobs(false).build()) {
            Job requeued = reader.jobs().get(id);
            assertThat(requeued.status()).isEqualTo(JobStatus.QUEUED);
            assertThat(requeued.lastCheckpoint()).isNotNull();
            stoppedAt = requeued.progress().step();
        }
        try (Training second = service(fx).build()) {
            Job done = second.jobs().await(id, WAIT);
            assertThat(done.status()).isEqualTo(JobStatus.SUCCEEDED);
            assertThat(done.attempt()).isEqualTo(2);
            List<JobEvent> events = events(second.jobs(), id);
            assertThat(events).anySatisfy(e -> assertThat(e.message())
                    .contains("the service stopped while the job ran; queued again: it resumes from"));
            assertThat(events).anySatisfy(e -> assertThat(e.message()).contains("resuming from"));
            List<Long> steps = events.stream().filter(e -> e.type().equals(JobEvent.TYPE_PROGRESS))
                    .map(e -> ((Number) e.data().get("step")).longValue()).toList();
            assertThat(steps).isSorted().doesNotHaveDuplicates();
            assertThat(steps.get(0)).isEqualTo(1L);
            assertThat(steps).contains(stoppedAt, stoppedAt + 1, 60L);
        }
    }

    @Test
    void aSecondInstanceOnTheSameHome_isAClient_thatSeesAndCancelsTheWorkersJobs() throws Exception {
        Fixtures fx = new Fixtures(dir);
        try (Training worker = service(fx).build(); Training client = service(fx).build()) {
            assertThat(worker.runsJobs()).isTrue();
            assertThat(client.runsJobs()).isFalse();
            String id = client.jobs().submit(fx.spec(400, Map.of("step_seconds", "0.05")).build()).id();
            waitFor(client.jobs(), id, j -> j.progress().step() != null && j.progress().step() >= 2, WAIT);
            assertThat(worker.jobs().get(id).status()).isEqualTo(JobStatus.RUNNING);
            client.jobs().cancel(id);
            assertThat(client.jobs().await(id, WAIT).status()).isEqualTo(JobStatus.CANCELLED);
        }
    }
}
