package dev.koder.training.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobStatus;
import dev.koder.training.core.Training;
import dev.koder.training.spi.PluginConfig;
import dev.koder.training.trl.TrlRunner;
import dev.koder.training.trl.TrlTools;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two service JVMs on one PostgreSQL, each with a home of its own and one shared jobs folder, running real TRL jobs
 * on a tiny model: the instance that runs the jobs is SIGKILLed mid-run, and the other takes the lease over and
 * adopts its running trainers.
 */
class AdoptionTest {

    static final Path DATA = Path.of("../examples/data/shout-train.jsonl").toAbsolutePath().normalize();
    static final Duration LEASE = Duration.ofSeconds(3);
    static final int JOBS_EACH = 10;
    static final int STEPS = 40;
    /** A's first two jobs, those running at the kill: long enough that their trainers outlive the lease timeout
     * (with a CPU thread each, 40 steps took about 3.5 s from the trainer's start, and one of the two finished before
     * the standby took over; 160 steps ended 1.4 s after it). */
    static final int LONG_STEPS = 800;

    @TempDir
    Path dir;

    @Test
    void twentyJobsThroughTwoInstances_oneKilledMidRun_theOtherAdoptsItsTrainers_everyJobSucceedsOnce()
            throws Exception {
        Path model = new TrlTools(new TrlRunner(new PluginConfig(dir, Map.of()))).tinyModel(dir.resolve("tiny-llama"),
                List.of(DATA), 64, dir.resolve("work"), line -> { });
        Map<String, String> properties = new HashMap<>(PostgresServer.get().properties(dir));
        properties.put("training.lease.timeout", LEASE.toString());
        properties.put("training.jobs.dir", dir.resolve("jobs").toString());
        properties.put("training.models.roots", dir.toString());
        properties.put("training.events.poll", "PT0.2S");
        List<String> hostLines = new CopyOnWriteArrayList<>();
        Process a = InstanceHost.start(dir.resolve("home-a"), properties, model, DATA, JOBS_EACH, STEPS, 2,
                LONG_STEPS);
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(a.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    hostLines.add(line);
                }
            } catch (java.io.IOException e) {
                hostLines.add("(read failed: " + e + ")");
            }
        });
        reader.setDaemon(true);
        reader.start();
        try {
            Await.until("instance A leads and submitted its jobs: " + hostLines, Duration.ofMinutes(2),
                    () -> hostLines.stream().filter(l -> l.startsWith("submitted ")).count() == JOBS_EACH);
            assertThat(hostLines).contains("ready leads=true");
            Training.Builder builder = InstanceHost.service(dir.resolve("home-b"));
            properties.forEach(builder::property);
            try (Training b = builder.build()) {
                assertThat(b.runsJobs()).as("B stands by while A holds the lease").isFalse();
                List<JobEvent> heard = new CopyOnWriteArrayList<>();
                b.jobs().addListener((job, e) -> heard.add(e));
                List<String> ids = new ArrayList<>(hostLines.stream().filter(l -> l.startsWith("submitted "))
                        .map(l -> l.substring("submitted ".length())).toList());
                for (int i = 0; i < JOBS_EACH; i++) {
                    ids.add(b.jobs().submit(InstanceHost.spec(model, DATA, "from-b-" + i, STEPS)).id());
                }
                // A runs jobs: killed while some trainer of its own is past its first steps
                Await.until("A runs a job past its second step", Duration.ofMinutes(3), () -> ids.stream()
                        .map(id -> b.jobs().get(id)).anyMatch(j -> j.status() == JobStatus.RUNNING
                                && j.progress().step() != null && j.progress().step() >= 2));
                List<String> runningAtKill = ids.stream().filter(id -> b.jobs().get(id).status() == JobStatus.RUNNING)
                        .toList();
                a.destroyForcibly(); // SIGKILL: no shutdown hook, the lease is not given up
                a.waitFor();
                long killed = System.nanoTime();
                Await.until("B takes the lease over", LEASE.plusSeconds(10), b::runsJobs);
                Duration takeover = Duration.ofNanos(System.nanoTime() - killed);
                // A renewed the lease every third of its timeout, so it lapses 2/3 to all of LEASE after the kill
                assertThat(takeover).as("not before the lease lapsed").isGreaterThanOrEqualTo(LEASE.multipliedBy(2)
                        .dividedBy(3).minusMillis(200));
                for (String id : ids) {
                    Job done = b.jobs().await(id, Duration.ofMinutes(8));
                    assertThat(done.status()).as("job %s: %s", id, done.failure()).isEqualTo(JobStatus.SUCCEEDED);
                }
                int adopted = 0;
                java.time.Instant killAt = java.time.Instant.now().minusNanos(System.nanoTime() - killed);
                for (String id : ids) {
                    List<JobEvent> events = b.jobs().events(id, 0, 1000).items();
                    assertThat(events).extracting(JobEvent::seq).as("job %s: its events, numbered", id)
                            .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, events.size())
                                    .boxed().toList());
                    assertThat(events).filteredOn(e -> e.type().equals(JobEvent.TYPE_STARTED))
                            .as("job %s: its trainer started once", id).singleElement()
                            // two trainers at once share the cores rather than each take them all
                            .satisfies(e -> assertThat(e.data()).containsEntry("cpu_threads",
                                    Math.max(1, Runtime.getRuntime().availableProcessors() / 2)));
                    List<Long> steps = events.stream().filter(e -> e.type().equals(JobEvent.TYPE_PROGRESS))
                            .map(e -> ((Number) e.data().get("step")).longValue()).toList();
                    assertThat(steps).as("job %s: the steps told, each once, in order", id).isNotEmpty().isSorted()
                            .doesNotHaveDuplicates();
                    String name = b.jobs().get(id).spec().name();
                    assertThat(steps.get(steps.size() - 1)).isEqualTo(name.equals("from-a-0") || name.equals("from-a-1")
                            ? LONG_STEPS : STEPS);
                    assertThat(b.jobs().get(id).attempt()).isEqualTo(1);
                    try (Stream<Path> launches = Files.list(dir.resolve("jobs").resolve(id).resolve("launches"))) {
                        assertThat(launches.count()).as("job %s: trainers launched", id).isEqualTo(1);
                    }
                    if (events.stream().anyMatch(e -> e.message().contains("took the worker lease over"))) {
                        adopted++;
                    }
                }
                long adoptedEnd = runningAtKill.stream().mapToLong(id -> Duration.between(killAt,
                        b.jobs().get(id).finishedAt()).toMillis()).max().orElse(0);
                System.out.printf("adoption: %d jobs, %d running at the kill, %d adopted with their trainer running, "
                        + "lease taken over %d ms after the kill (timeout %s), the last of those running at the kill "
                        + "done %d ms after it%n", ids.size(), runningAtKill.size(), adopted, takeover.toMillis(), LEASE,
                        adoptedEnd);
                assertThat(adopted).as("jobs B adopted with their trainers still running (running at the kill: %s)",
                        runningAtKill).isEqualTo(runningAtKill.size()).isPositive();
                // B's listener heard the events of every job, A's included, each once and in order: all of those of the
                // jobs submitted through B, and of A's, all from the first it heard on (they began before it listened)
                Await.until("B's listener heard every event", Duration.ofSeconds(20), () -> ids.stream().allMatch(
                        id -> heardOf(heard, id).equals(storedFrom(b, id, heardOf(heard, id)))));
                for (String id : ids.subList(JOBS_EACH, ids.size())) {
                    assertThat(heardOf(heard, id).get(0)).as("job %s, submitted through B: the first event heard", id)
                            .isEqualTo(1L);
                }
            }
        } finally {
            a.destroyForcibly();
            // trainers of A that B adopted ended with their jobs; none may outlive the test
            ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains(dir.toString()))
                    .forEach(ProcessHandle::destroyForcibly);
        }
    }

    static List<Long> heardOf(List<JobEvent> heard, String id) {
        return heard.stream().filter(e -> e.jobId().equals(id)).map(JobEvent::seq).toList();
    }

    /** The stored events' numbers from the first heard on (all of them when none was heard). */
    static List<Long> storedFrom(Training t, String id, List<Long> heard) {
        long first = heard.isEmpty() ? 1 : heard.get(0);
        return t.jobs().events(id, first - 1, 1000).items().stream().map(JobEvent::seq).toList();
    }
}
