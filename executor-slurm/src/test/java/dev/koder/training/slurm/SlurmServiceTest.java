package dev.koder.training.slurm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.JobStatus;
import dev.koder.training.core.Training;
import dev.koder.training.tck.Samples;
import dev.koder.training.tck.ScriptedRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The service running its jobs on a real single-host Slurm with two fake GPUs: the pool read from Slurm, each attempt
 * a Slurm batch job pinned to the node the scheduler chose. The trainer is the kit's scripted one (a real Python
 * process speaking the events protocol).
 */
class SlurmServiceTest {

    static final Duration WAIT = Duration.ofMinutes(3);

    @TempDir
    Path dir;

    Path model;
    Path data;
    Training training;

    @BeforeEach
    void fixtures() throws Exception {
        model = Samples.tinyModelFolder(dir.resolve("model"));
        data = Samples.chatData(dir.resolve("train.jsonl"), 8);
    }

    @AfterEach
    void close() {
        if (training != null) {
            training.close();
        }
    }

    static Training.Builder service(Path home) {
        Training.Builder b = Training.builder().home(home).runner(new ScriptedRunner())
                .pollInterval(Duration.ofMillis(100)).cancelGracePeriod(Duration.ofSeconds(20)).maxConcurrentJobs(4)
                .poolRefresh(Duration.ofSeconds(1));
        SlurmCluster.get().properties.forEach(b::property);
        return b;
    }

    JobSpec.Builder job(int gpus, int steps, Map<String, String> behaviour) {
        return Samples.scriptedJob(model, data, gpus, steps, behaviour).name("slurm-job");
    }

    Job waitFor(String id, Predicate<Job> condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            Job j = training.jobs().get(id);
            if (condition.test(j)) {
                return j;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("job " + id + " is " + training.jobs().get(id).status() + ": " + events(id));
    }

    List<JobEvent> events(String id) {
        return training.jobs().events(id, 0, 1000).items();
    }

    String slurmRef(String id) {
        return events(id).stream().map(e -> e.data().get("execution")).filter(x -> x != null).map(Object::toString)
                .findFirst().orElseThrow();
    }

    @Test
    void thePoolComesFromSlurm_twoOneGpuJobsRunAtOnceOnGpusZeroAndOne_andAThirdWaits() throws Exception {
        training = service(dir.resolve("home")).build();
        assertThat(training.gpuPool()).singleElement().satisfies(n -> {
            assertThat(n.name()).isEqualTo(SlurmCluster.get().node);
            assertThat(n.gpus()).hasSize(2).allSatisfy(g -> assertThat(g.name()).isEqualTo("NVIDIA H100 80GB HBM3"));
        });
        List<Job> jobs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            jobs.add(training.jobs().submit(job(1, 30, Map.of("step_seconds", "0.2", "record_env", "true")).build()));
        }
        Job first = waitFor(jobs.get(0).id(), j -> j.status() == JobStatus.RUNNING);
        Job second = waitFor(jobs.get(1).id(), j -> j.status() == JobStatus.RUNNING);
        Job third = waitFor(jobs.get(2).id(), j -> j.queueReason() != null);
        assertThat(third.status()).isEqualTo(JobStatus.QUEUED);
        assertThat(third.queueReason()).contains("GPU");
        Path home = training.home();
        Set<String> seen = new java.util.HashSet<>();
        for (Job j : List.of(first, second)) {
            Path file = home.resolve("jobs").resolve(j.id()).resolve("cuda-visible-devices.txt");
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!Files.exists(file) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            seen.add(Files.readString(file).strip());
            assertThat(slurmRef(j.id())).startsWith("slurm:");
        }
        assertThat(seen).as("Slurm gave each job its own GPU").containsExactlyInAnyOrder("0", "1");
        for (Job j : jobs) {
            assertThat(waitFor(j.id(), x -> x.status().isTerminal()).status()).isEqualTo(JobStatus.SUCCEEDED);
        }
        assertThat(training.jobs().get(jobs.get(0).id()).placement().node()).isEqualTo(SlurmCluster.get().node);
    }

    @Test
    void aTwoGpuJob_getsBothGpusOfTheNode_asOneSlurmJob() throws Exception {
        training = service(dir.resolve("home")).build();
        Job job = training.jobs().submit(job(2, 5, Map.of("record_env", "true")).build());
        Job done = waitFor(job.id(), j -> j.status().isTerminal());
        assertThat(done.status()).as(events(job.id()).toString()).isEqualTo(JobStatus.SUCCEEDED);
        String cuda = Files.readString(training.home().resolve("jobs").resolve(job.id())
                .resolve("cuda-visible-devices.txt")).strip();
        assertThat(Set.of(cuda.split(","))).containsExactlyInAnyOrder("0", "1");
        assertThat(done.placement().node()).isEqualTo(SlurmCluster.get().node);
        assertThat(done.placement().gpus()).containsExactlyInAnyOrder(0, 1);
    }

    @Test
    void cancel_isSlurmsSigterm_andTheTrainerSavesACheckpoint() throws Exception {
        training = service(dir.resolve("home")).build();
        Job job = training.jobs().submit(job(1, 1000, Map.of("step_seconds", "0.1")).build());
        waitFor(job.id(), j -> j.progress().step() != null && j.progress().step() >= 3);
        training.jobs().cancel(job.id());
        Job cancelled = waitFor(job.id(), j -> j.status().isTerminal());
        assertThat(cancelled.status()).isEqualTo(JobStatus.CANCELLED);
        assertThat(cancelled.lastCheckpoint()).isNotNull();
        assertThat(Path.of(cancelled.lastCheckpoint())).isDirectory();
    }

    @Test
    void aTrainerExitingWithThree_failsWithItsCause() throws Exception {
        training = service(dir.resolve("home")).build();
        Job job = training.jobs().submit(job(0, 5, Map.of("exit_code", "3", "fail_at_step", "2")).build());
        Job failed = waitFor(job.id(), j -> j.status().isTerminal());
        assertThat(failed.status()).isEqualTo(JobStatus.FAILED);
        assertThat(failed.failure().message()).as(failed.failure().toString()).contains("simulated failure at step 2");
        assertThat(slurmRef(job.id())).startsWith("slurm:");
    }

    static void awaitLine(Process p, String line) throws Exception {
        java.io.BufferedReader r = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream()));
        StringBuilder seen = new StringBuilder();
        long deadline = System.nanoTime() + WAIT.toNanos();
        String l;
        while (System.nanoTime() < deadline && (l = r.readLine()) != null) {
            seen.append(l).append('\n');
            if (l.equals(line)) {
                Thread t = new Thread(() -> {
                    try {
                        r.transferTo(java.io.Writer.nullWriter());
                    } catch (java.io.IOException e) {
                        // the process ended
                    }
                });
                t.setDaemon(true);
                t.start();
                return;
            }
        }
        throw new AssertionError("the host never printed '" + line + "': " + seen);
    }

    @Test
    void theServiceKilledWhileASlurmJobRuns_reattachesAfterItsRestart_andTheJobSucceedsOnce() throws Exception {
        Path home = dir.resolve("home");
        Map<String, String> properties = SlurmCluster.get().properties;
        Process first = SlurmHost.start(home, properties);
        Job job;
        try {
            awaitLine(first, "ready");
            training = service(home).runJobs(false).build();
            job = training.jobs().submit(job(1, 40, Map.of("step_seconds", "0.25")).build());
            waitFor(job.id(), j -> j.progress().step() != null && j.progress().step() >= 3);
        } finally {
            first.destroyForcibly().waitFor();
        }
        String ref = slurmRef(job.id());
        long slurmId = Long.parseLong(ref.substring("slurm:".length()));
        SlurmClient client = new SlurmClient(SlurmSettings.from(SlurmCluster.get().config(home)));
        assertThat(client.job(slurmId).orElseThrow().state()).as("the Slurm job outlives the service")
                .isEqualTo("RUNNING");
        assertThat(client.job(999_999_999L)).as("a job Slurm no longer knows").isEmpty();

        Process second = SlurmHost.start(home, properties);
        try {
            awaitLine(second, "ready");
            Job done = waitFor(job.id(), j -> j.status().isTerminal());
            assertThat(done.status()).as(events(job.id()).toString()).isEqualTo(JobStatus.SUCCEEDED);
            assertThat(done.attempt()).as("launched once").isEqualTo(1);
            List<Integer> steps = events(job.id()).stream().filter(e -> e.type().equals(JobEvent.TYPE_PROGRESS))
                    .map(e -> ((Number) e.data().get("step")).intValue()).toList();
            assertThat(steps).doesNotHaveDuplicates().contains(40);
            assertThat(SlurmCluster.get().completed().stream().filter(l -> l.contains("Name=training-" + job.id() + " ")))
                    .as("one Slurm job for the attempt").hasSize(1);
        } finally {
            second.destroyForcibly().waitFor();
        }
    }

    @Test
    void theServiceKilledRightAfterTheSubmit_findsTheSlurmJobByItsLaunchToken_andRunsItOnce() throws Exception {
        Path home = dir.resolve("home");
        Map<String, String> properties = SlurmCluster.get().properties;
        Process first = SlurmHost.start(home, properties, "halt-after-submit");
        Job job;
        try {
            awaitLine(first, "ready");
            training = service(home).runJobs(false).build();
            // long enough that the trainer still runs when the next service comes up
            job = training.jobs().submit(job(1, 150, Map.of("step_seconds", "0.1")).build());
            assertThat(first.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            assertThat(first.exitValue()).isEqualTo(137);
        } finally {
            first.destroyForcibly().waitFor();
        }
        assertThat(training.jobs().get(job.id()).status()).isEqualTo(JobStatus.RUNNING);
        Process second = SlurmHost.start(home, properties);
        try {
            awaitLine(second, "ready");
            Job done = waitFor(job.id(), j -> j.status().isTerminal());
            assertThat(done.status()).as(events(job.id()).toString()).isEqualTo(JobStatus.SUCCEEDED);
            assertThat(done.attempt()).as("launched once").isEqualTo(1);
            assertThat(events(job.id())).anySatisfy(e -> assertThat(e.message()).contains("found it by its launch "
                    + "token"));
            assertThat(SlurmCluster.get().completed().stream().filter(l -> l.contains("Name=training-" + job.id() + " ")))
                    .as("one Slurm job for the attempt").hasSize(1);
        } finally {
            second.destroyForcibly().waitFor();
        }
    }

    @Test
    void aJobFolderMissingOnTheNode_failsWithTheSharedHomeSentence() throws Exception {
        Path logs = Files.createDirectories(dir.resolve("logs"));
        SlurmExecutor executor = SlurmExecutor.create(SlurmSettings.from(SlurmCluster.get().config(dir)), dir);
        try {
            var plan = new dev.koder.training.spi.LaunchPlan(List.of("/bin/true"), Map.of(),
                    dir.resolve("not-on-this-node"), logs.resolve("out.log"), logs.resolve("err.log"));
            var exit = executor.start(plan).onExit().get(60, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(exit.code()).isEqualTo(SlurmExecutor.NO_SHARED_HOME);
            assertThat(exit.state()).as("the cause table makes it launch_failed").isEqualTo("slurm:NO_SHARED_HOME");
            assertThat(exit.reason()).contains("found no job folder on node " + SlurmCluster.get().node)
                    .contains("the service's home must be on a filesystem every node mounts");
            assertThat(Files.readString(logs.resolve("err.log"))).contains("is not on node");
        } finally {
            executor.close();
        }
    }
}
