package dev.koder.training.core;

import static dev.koder.training.core.Fixtures.events;
import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.CheckpointPolicy;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobStatus;
import dev.koder.training.spi.AttemptPhase;
import dev.koder.training.spi.JobRecord;
import dev.koder.training.sqlite.SqliteJobStore;
import dev.koder.training.tck.ScriptedRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The service JVM dies (Runtime.halt, as a SIGKILL) at each point of an attempt's lifecycle, between a stored step
 * and the side effect it leads to; a service started again on the home finds what was done and finishes the job with
 * exactly one trainer run: a trainer that was started is adopted (by its reference, its marker file or, without
 * either, the launch token in its environment), one that was not is started once.
 */
class AttemptCrashTest {

    static final Duration WAIT = Duration.ofSeconds(90);

    @org.junit.jupiter.api.io.TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(ServiceHost.Crash.class)
    void aCrashAtEachPoint_endsInOneTrainerRun_andTheJobSucceeds(ServiceHost.Crash at) throws Exception {
        Fixtures fx = new Fixtures(dir);
        Path home = dir.resolve("home");
        String id;
        try (Training client = Training.builder().home(home).runner(new ScriptedRunner()).runJobs(false).build()) {
            id = client.jobs().submit(fx.spec(30, Map.of("step_seconds", "0.05"))
                    .checkpoints(CheckpointPolicy.everySteps(10, 2)).build()).id();
        }
        Process host = ServiceHost.start(home, "crash-at", at.name());
        assertThat(host.waitFor(60, TimeUnit.SECONDS)).as("the service JVM crashed at " + at).isTrue();
        String out = new String(host.getInputStream().readAllBytes());
        assertThat(host.exitValue()).as("halted at %s; it printed: %s", at, out).isEqualTo(137);

        JobRecord left;
        try (SqliteJobStore store = SqliteJobStore.open(home.resolve("training.db"), Clock.systemUTC())) {
            left = store.find(id).orElseThrow();
        }
        assertThat(left.status()).isEqualTo(JobStatus.RUNNING);
        AttemptPhase expected = switch (at) {
            case PLANNED -> AttemptPhase.PLANNED;
            case LAUNCHING, STARTED_NO_MARKER, STARTED -> AttemptPhase.LAUNCHING;
            case RUNNING -> AttemptPhase.RUNNING;
            case FINISHING -> AttemptPhase.FINISHING;
        };
        assertThat(left.phase()).as("the phase stored before the crash").isEqualTo(expected);
        assertThat(left.launchToken() != null).isEqualTo(expected != AttemptPhase.PLANNED);

        try (Training restarted = Training.builder().home(home).runner(new ScriptedRunner())
                .pollInterval(Duration.ofMillis(50)).build()) {
            Job done = restarted.jobs().await(id, WAIT);
            List<JobEvent> events = events(restarted.jobs(), id);
            assertThat(done.status()).as("events: %s", events).isEqualTo(JobStatus.SUCCEEDED);
            assertThat(events.stream().filter(e -> e.type().equals(JobEvent.TYPE_STARTED)))
                    .as("trainer runs after a crash at %s", at).hasSize(1);
            assertThat(done.attempt()).isEqualTo(1);
            if (at == ServiceHost.Crash.STARTED || at == ServiceHost.Crash.STARTED_NO_MARKER) {
                assertThat(events).anySatisfy(e -> assertThat(e.message()).contains("found it by its launch token"));
            }
            for (int i = 0; i < events.size(); i++) {
                assertThat(events.get(i).seq()).as("event numbers have no gap").isEqualTo(i + 1L);
            }
        }
        try (Stream<Path> markers = Files.list(home.resolve("jobs").resolve(id).resolve("launches"))) {
            for (Path m : markers.filter(p -> !p.toString().endsWith(".tmp")).toList()) {
                long pid = Long.parseLong(Files.readString(m).split(":")[1]);
                assertThat(Fixtures.gone(pid)).as("trainer %s is gone", pid).isTrue();
            }
        } catch (java.nio.file.NoSuchFileException none) {
            assertThat(at).isIn(ServiceHost.Crash.PLANNED, ServiceHost.Crash.LAUNCHING);
        }
    }
}
