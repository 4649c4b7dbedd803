package dev.koder.training.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.CheckpointPolicy;
import dev.koder.training.api.FailureCause;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Quotas.QuotaEntry;
import dev.koder.training.api.Resources;
import dev.koder.training.core.Training;
import dev.koder.training.spi.JobRecord;
import dev.koder.training.sqlite.SqliteJobStore;
import dev.koder.training.sqlite.SqliteQuotaLedger;
import dev.koder.training.tck.Samples;
import dev.koder.training.tck.ScriptedRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

/**
 * Random SIGKILLs spread over the service JVM, the trainers, and the moments of registration and finishing (the
 * service halts itself there by chance, {@link ChaosHost}), on GPU jobs of a few thousand steps of the scripted
 * trainer. Afterwards: every job succeeded or ended with a cause that is not transient, no event was lost or repeated,
 * no trainer process is left, no job is RUNNING, and the GPU-hours charged equal the attempts' work. CI runs
 * {@value #CI_KILLS} kills; {@code -Dchaos.kills=100} is the benchmark (docs/BENCHMARKS.md).
 */
class ChaosTest {

    static final int CI_KILLS = 12;
    static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path dir;

    final List<Process> hosts = new ArrayList<>();

    record Tally(int jvm, int trainer, int moments) {
        int total() {
            return jvm + trainer + moments;
        }
    }

    @Test
    void randomKills_leaveEveryJobEnded_noEventLost_noTrainerLeft_andTheGpuHoursOfTheWorkDone() throws Exception {
        int kills = Integer.getInteger("chaos.kills", CI_KILLS);
        int steps = Integer.getInteger("chaos.steps", 1500);
        long seed = Long.getLong("chaos.seed", 20261202L);
        int jobCount = Math.max(3, kills / 8);
        Random random = new Random(seed);
        Path home = dir.resolve("home");
        Files.createDirectories(home);
        // retries soon, and as many as a job may have: the kills of its trainer are not its fault
        Files.writeString(home.resolve(Training.PROPERTIES_FILE), "training.retry.backoff=PT0.2S\n");
        Path model = Samples.tinyModelFolder(dir.resolve("model"));
        Path data = Samples.chatData(dir.resolve("train.jsonl"), 8);
        List<String> ids = new ArrayList<>();
        try (Training client = Training.builder().home(home).runner(new ScriptedRunner())
                .property("training.gpus", ChaosHost.POOL).runJobs(false).build()) {
            for (int i = 0; i < jobCount; i++) {
                ids.add(client.jobs().submit(Samples.scriptedJob(model, data, 1, steps, Map.of("step_seconds",
                        "0.003")).checkpoints(CheckpointPolicy.everySteps(200, 2)).resources(
                                Resources.builder().gpus(1).maxRetries(10).build())
                        .build()).id());
            }
        }
        Path log = dir.resolve("hosts.log");
        long started = System.nanoTime();
        int jvm = 0;
        int trainer = 0;
        int moments = 0;
        Process host = start(home, random, log);
        while (jvm + trainer + moments < kills && !allEnded(home, ids)) {
            Thread.sleep(300 + random.nextInt(900));
            if (!host.isAlive()) {
                moments += host.exitValue() == 137 ? 1 : 0;
                host = start(home, random, log);
                continue;
            }
            if (random.nextInt(3) == 0) {
                host.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
                jvm++;
                host = start(home, random, log);
            } else if (killATrainer(home, ids, random)) {
                trainer++;
            }
        }
        // the last host runs every job to its end
        long deadline = System.nanoTime() + Duration.ofMinutes(4).toNanos();
        while (!allEnded(home, ids) && System.nanoTime() < deadline) {
            if (!host.isAlive()) {
                moments += host.exitValue() == 137 ? 1 : 0;
                host = start(home, random, log);
            }
            Thread.sleep(200);
        }
        host.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        double seconds = (System.nanoTime() - started) / 1e9;
        Tally tally = new Tally(jvm, trainer, moments);

        try (Training reader = Training.builder().home(home).runner(new ScriptedRunner())
                .property("training.gpus", ChaosHost.POOL).runJobs(false).build();
                SqliteQuotaLedger ledger = SqliteQuotaLedger.open(home.resolve("training.db"))) {
            int attempts = 0;
            int retries = 0;
            int succeeded = 0;
            double charged = 0;
            double worked = 0;
            for (String id : ids) {
                Job job = reader.jobs().get(id);
                List<JobEvent> events = Samples.events(reader.jobs(), id);
                assertThat(job.status().isTerminal()).as("job %s ended (%s): %s", id, job.status(), last(events))
                        .isTrue();
                if (job.status() != JobStatus.SUCCEEDED) {
                    assertThat(transientCause(job.failure().cause())).as("job %s failed for a cause that is not "
                            + "transient: %s", id, job.failure()).isFalse();
                }
                for (int i = 0; i < events.size(); i++) {
                    assertThat(events.get(i).seq()).as("events of %s: no gap, none twice", id).isEqualTo(i + 1L);
                }
                Path eventsFile = home.resolve("jobs").resolve(id).resolve("events.jsonl");
                // a line a killed trainer left half-written is not an event it sent; every whole one must be stored
                long written = Files.readAllLines(eventsFile).stream().filter(ChaosTest::wholeEvent).count();
                long fromTrainer = events.stream().filter(e -> Set.of(JobEvent.TYPE_STARTED, JobEvent.TYPE_PROGRESS,
                        JobEvent.TYPE_CHECKPOINT, JobEvent.TYPE_COMPLETED, JobEvent.TYPE_EVAL, JobEvent.TYPE_ERROR)
                        .contains(e.type())).count();
                assertThat(fromTrainer).as("every line the trainers of %s wrote became exactly one event", id)
                        .isEqualTo(written);
                QuotaEntry entry = ledger.entry(id).orElseThrow();
                double work = work(events);
                int starts = (int) events.stream().filter(e -> e.type().equals(JobEvent.TYPE_STATUS)
                        && "running".equals(e.data().get("to"))).count();
                assertThat(entry.usedGpuHours() * 3600).as("GPU-seconds charged to %s against its attempts' "
                        + "work; events: %s", id, events.stream().filter(e -> !e.type().equals("progress")).toList())
                        .isCloseTo(work * 3600, org.assertj.core.data.Offset.offset(0.3 * starts + 0.1));
                attempts += starts;
                succeeded += job.status() == JobStatus.SUCCEEDED ? 1 : 0;
                retries += job.retries();
                charged += entry.usedGpuHours();
                worked += work;
            }
            assertThat(trainersLeft(home)).as("trainer processes left").isEmpty();
            System.out.printf(Locale.ROOT, "chaos: %d kills (%d of the service JVM, %d of trainers, %d at "
                    + "registration or finishing) over %d jobs of %d steps in %.0f s; %d attempts, %d retries; "
                    + "%d succeeded, the others failed for causes that are not transient; 0 events lost or repeated, "
                    + "0 trainers left, 0 running; GPU-hours charged %.5f, work %.5f%n", tally.total(), tally.jvm(),
                    tally.trainer(), tally.moments(), ids.size(), steps, seconds, attempts, retries, succeeded, charged,
                    worked);
            assertThat(tally.total()).as("kills made").isGreaterThanOrEqualTo(Math.min(kills, 4));
        } finally {
            hosts.forEach(Process::destroyForcibly);
        }
    }

    Process start(Path home, Random random, Path log) throws Exception {
        for (int tries = 0; tries < 50; tries++) {
            // the halting chance keeps the kills at the two moments a fraction of all
            Process p = ChaosHost.start(home, random.nextLong(), 0.08, log);
            hosts.add(p);
            if (!p.waitFor(300, TimeUnit.MILLISECONDS) || p.exitValue() == 137) {
                return p;
            }
            Thread.sleep(200); // "not the worker": the last one's lock is not released yet
        }
        throw new AssertionError("no service JVM became the worker; see " + log);
    }

    static boolean transientCause(FailureCause cause) {
        return EnumSet.of(FailureCause.KILLED, FailureCause.LAUNCH_FAILED, FailureCause.HOST_RESTART).contains(cause);
    }

    static boolean allEnded(Path home, List<String> ids) {
        try (SqliteJobStore store = SqliteJobStore.open(home.resolve("training.db"), Clock.systemUTC())) {
            return ids.stream().allMatch(id -> store.find(id).map(r -> r.status().isTerminal()).orElse(false));
        }
    }

    /** Kills the process group of one running trainer, as a node's failure would; false when none runs. */
    static boolean killATrainer(Path home, List<String> ids, Random random) throws Exception {
        List<Long> pids = new ArrayList<>();
        try (SqliteJobStore store = SqliteJobStore.open(home.resolve("training.db"), Clock.systemUTC())) {
            for (String id : ids) {
                JobRecord r = store.find(id).orElseThrow();
                if (r.status() == JobStatus.RUNNING && r.executionRef() != null) {
                    pids.add(Long.parseLong(r.executionRef().split(":")[1]));
                }
            }
        }
        if (pids.isEmpty()) {
            return false;
        }
        long pid = pids.get(random.nextInt(pids.size()));
        return new ProcessBuilder("kill", "-KILL", "--", "-" + pid).start().waitFor() == 0;
    }

    /** @return the trainers of the home still running: processes whose environment carries a launch token of it */
    static List<Long> trainersLeft(Path home) throws Exception {
        List<Long> left = new ArrayList<>();
        try (Stream<Path> jobs = Files.list(home.resolve("jobs"))) {
            for (Path job : jobs.toList()) {
                Path launches = job.resolve("launches");
                if (!Files.isDirectory(launches)) {
                    continue;
                }
                try (Stream<Path> markers = Files.list(launches)) {
                    for (Path m : markers.filter(p -> !p.toString().endsWith(".tmp")).toList()) {
                        long pid = Long.parseLong(Files.readString(m).split(":")[1]);
                        if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                            left.add(pid);
                        }
                    }
                }
            }
        }
        return left;
    }

    /**
     * The GPU-hours of the work the attempts did, from their events: each attempt from its trainer's start to its end,
     * or, when the job was queued again after it (a retry, a trainer lost), only to the attempt's last checkpoint,
     * since the next attempt does again what came after (nothing, without a checkpoint). One GPU a job.
     */
    static double work(List<JobEvent> events) {
        double seconds = 0;
        Instant start = null;
        Instant checkpoint = null;
        Instant gpusBack = null;
        for (JobEvent e : events) {
            boolean claimed = e.type().equals(JobEvent.TYPE_STATUS) && "running".equals(e.data().get("to"));
            if (claimed || (start != null && e.message().startsWith("trainer started (attempt"))) {
                // the launch begins after the claim (a trainer adopted by its token has no start note of its own)
                start = e.time();
                checkpoint = null;
                gpusBack = null;
            } else if (start != null && e.type().equals(JobEvent.TYPE_CHECKPOINT)) {
                checkpoint = e.time();
            } else if (start != null && e.type().equals(JobEvent.TYPE_USAGE)) {
                // stored with the end: when the GPUs went back, which may be before the end waited for registrations
                gpusBack = Instant.parse((String) e.data().get("ended_at"));
                assertThat(gpusBack).as("the GPUs went back within the attempt: %s", e).isAfterOrEqualTo(start)
                        .isBeforeOrEqualTo(e.time());
            } else if (start != null && e.type().equals(JobEvent.TYPE_STATUS) && e.data().get("to") != null) {
                Instant until = "queued".equals(e.data().get("to")) ? (checkpoint == null ? start : checkpoint)
                        : gpusBack != null ? gpusBack : e.time();
                seconds += Math.max(0, Duration.between(start, until).toMillis() / 1000.0);
                start = null;
            }
        }
        return seconds / 3600;
    }

    static boolean wholeEvent(String line) {
        try {
            return JSON.readTree(line).isObject();
        } catch (RuntimeException e) {
            return false;
        }
    }

    static String last(List<JobEvent> events) {
        return events.isEmpty() ? "no events" : events.get(events.size() - 1).message();
    }
}
