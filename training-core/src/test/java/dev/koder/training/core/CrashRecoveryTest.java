package dev.koder.training.core;

import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobQuery;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Jobs;
import dev.koder.training.spi.JobRecord;
import dev.koder.training.sqlite.SqliteJobStore;
import dev.koder.training.tck.ScriptedRunner;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import static dev.koder.training.core.Fixtures.events;
import static dev.koder.training.core.Fixtures.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kills (SIGKILL) a real JVM that runs jobs, restarts a service on the same home, and checks that no job and
 * no event was lost: trainers that outlived the JVM are watched again, a trainer that died with it is
 * resumed from its checkpoint, queued jobs still run.
 */
class CrashRecoveryTest {

    static final Duration WAIT = Duration.ofSeconds(120);

    @TempDir
    Path dir;

    final List<Long> trainerPids = new ArrayList<>();

    @AfterEach
    void killLeftovers() {
        for (long pid : trainerPids) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    static void awaitReady(Process host) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(host.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        assertThat(line).as("service host says").isEqualTo("ready");
    }

    static long pidOf(JobRecord r) {
        return Long.parseLong(r.executionRef().split(":")[1]);
    }

    @Test
    void sigkillOfTheServiceJvm_losesNoJobAndNoEvent() throws Exception {
        Fixtures fx = new Fixtures(dir);
        Path home = dir.resolve("home");
        Process host = ServiceHost.start(home, "run");
        awaitReady(host);
        List<String> ids = new ArrayList<>();
        try (Training client = Training.builder().home(home).runner(new ScriptedRunner()).runJobs(false).build()) {
            for (int i = 0; i < 4; i++) {
                ids.add(client.jobs().submit(fx.spec(120, Map.of("step_seconds", "0.05")).checkpoints(
                        dev.koder.training.api.CheckpointPolicy.everySteps(5, 3)).build()).id());
            }
            for (String id : ids.subList(0, 2)) {
                waitFor(client.jobs(), id, j -> j.progress().step() != null && j.progress().step() >= 12, WAIT);
            }
            assertThat(client.jobs().get(ids.get(2)).status()).isEqualTo(JobStatus.QUEUED);
        }

        host.destroyForcibly();
        assertThat(host.waitFor(30, TimeUnit.SECONDS)).isTrue();

        // The trainers outlived the JVM in their own process groups. Kill one of them too, as a host crash
        // would; leave the other running.
        JobRecord survivor;
        JobRecord victim;
        try (SqliteJobStore store = SqliteJobStore.open(home.resolve("training.db"), Clock.systemUTC())) {
            survivor = store.find(ids.get(0)).orElseThrow();
            victim = store.find(ids.get(1)).orElseThrow();
        }
        assertThat(survivor.status()).isEqualTo(JobStatus.RUNNING);
        trainerPids.add(pidOf(survivor));
        trainerPids.add(pidOf(victim));
        assertThat(Fixtures.gone(pidOf(survivor))).as("trainer outlived the killed JVM").isFalse();
        new ProcessBuilder("kill", "-KILL", "--", "-" + pidOf(victim)).start().waitFor();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!Fixtures.gone(pidOf(victim)) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }

        try (Training restarted = Training.builder().home(home).runner(new ScriptedRunner()).maxConcurrentJobs(2)
                .pollInterval(Duration.ofMillis(50)).build()) {
            Jobs jobs = restarted.jobs();
            for (String id : ids) {
                assertThat(jobs.await(id, WAIT).status()).as(id).isEqualTo(JobStatus.SUCCEEDED);
            }
            assertThat(jobs.list(JobQuery.all()).items()).extracting(Job::id).containsExactlyInAnyOrderElementsOf(ids);
            assertThat(jobs.get(ids.get(0)).attempt()).isEqualTo(1);
            assertThat(events(jobs, ids.get(0))).anySatisfy(e -> assertThat(e.message())
                    .startsWith("the service restarted; the trainer (pid " + pidOf(survivor) + ") is still running"));
            Job resumed = jobs.get(ids.get(1));
            assertThat(resumed.attempt()).isEqualTo(2);
            assertThat(events(jobs, ids.get(1))).anySatisfy(e -> assertThat(e.message())
                    .startsWith("the service restarted and the trainer was gone; queued again: it resumes from"));

            for (String id : ids) {
                List<JobEvent> stored = events(jobs, id);
                for (int i = 0; i < stored.size(); i++) {
                    assertThat(stored.get(i).seq()).as("event numbers of %s have no gap", id).isEqualTo(i + 1L);
                }
                Path eventsFile = restarted.home().resolve("jobs").resolve(id).resolve("events.jsonl");
                long written = Files.readAllLines(eventsFile).stream().filter(l -> !l.isBlank()).count();
                long fromTrainer = stored.stream().filter(e -> Set.of(JobEvent.TYPE_STARTED, JobEvent.TYPE_PROGRESS,
                        JobEvent.TYPE_CHECKPOINT, JobEvent.TYPE_COMPLETED, JobEvent.TYPE_EVAL, JobEvent.TYPE_ERROR)
                        .contains(e.type())).count();
                assertThat(fromTrainer).as("every line %s's trainers wrote became exactly one event", id)
                        .isEqualTo(written);
            }
        }
    }

    @Test
    void aServiceJvmThatExits_stopsItsTrainers_andTheJobResumesLater() throws Exception {
        Fixtures fx = new Fixtures(dir);
        Path home = dir.resolve("home");
        String id;
        try (Training client = Training.builder().home(home).runner(new ScriptedRunner()).runJobs(false).build()) {
            id = client.jobs().submit(fx.spec(400, Map.of("step_seconds", "0.05", "spawn_child", "true")).build()).id();
        }
        Process host = ServiceHost.start(home, "exit-after", "2500");
        awaitReady(host);
        assertThat(host.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(host.exitValue()).isZero();

        long child = Long.parseLong(Files.readString(home.resolve("jobs").resolve(id).resolve("child.pid")).trim());
        try (SqliteJobStore store = SqliteJobStore.open(home.resolve("training.db"), Clock.systemUTC())) {
            JobRecord r = store.find(id).orElseThrow();
            assertThat(r.status()).isEqualTo(JobStatus.QUEUED);
            assertThat(r.job().lastCheckpoint()).isNotNull();
            assertThat(r.executionRef()).isNull();
        }
        assertThat(Fixtures.gone(child)).as("the trainer's child died with the service").isTrue();
    }
}
