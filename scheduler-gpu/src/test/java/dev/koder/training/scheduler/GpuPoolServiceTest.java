package dev.koder.training.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assertions.withinPercentage;

import dev.koder.training.api.CheckpointPolicy;
import dev.koder.training.api.FailureCause;
import dev.koder.training.api.InvalidSpecException;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobQuery;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.QuotaExceededException;
import dev.koder.training.api.Resources;
import dev.koder.training.api.Tier;
import dev.koder.training.core.Training;
import dev.koder.training.spi.UsageRecord;
import dev.koder.training.tck.Samples;
import dev.koder.training.tck.ScriptedRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The service with the tier scheduler on a configured pool of (pretend) H100s, jobs run by the scripted test
 * trainer: placement and CUDA_VISIBLE_DEVICES, GPUs released on every exit path, requests no GPU can serve,
 * GPU-hour quotas, preemption.
 */
class GpuPoolServiceTest {

    static final Duration WAIT = Duration.ofSeconds(60);
    static final String POOL = "local=2xNVIDIA H100 80GB HBM3@80";

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

    Training.Builder service(String pool) {
        return Training.builder().home(dir.resolve("home")).runner(new ScriptedRunner()).property("training.gpus", pool)
                .pollInterval(Duration.ofMillis(50)).cancelGracePeriod(Duration.ofSeconds(5)).maxConcurrentJobs(4)
                .poolRefresh(Duration.ZERO);
    }

    JobSpec.Builder job(String tenant, Tier tier, int gpus, int steps, Map<String, String> behaviour) {
        return Samples.scriptedJob(model, data, gpus, steps, behaviour).name("gpu-job").tenant(tenant).tier(tier);
    }

    Job waitFor(String id, Predicate<Job> condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            Job j = training.jobs().get(id);
            if (condition.test(j)) {
                return j;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("job " + id + " is " + training.jobs().get(id).status());
    }

    String cudaOf(Job job) throws Exception {
        return Files.readString(training.home().resolve("jobs").resolve(job.id()).resolve("cuda-visible-devices.txt"));
    }

    @Test
    void theHomesPropertiesFile_describesThePool_forEveryProcessOnIt() throws Exception {
        Path home = dir.resolve("home");
        Files.createDirectories(home);
        Files.writeString(home.resolve(Training.PROPERTIES_FILE), "# shared by the worker and its clients\n"
                + "training.gpus = a=2xNVIDIA H100 80GB HBM3@80; b=1xNVIDIA A100-SXM4-40GB@40\n"
                + "training.price.gpu-hour = 2.5\n");
        training = Training.builder().home(home).runner(new ScriptedRunner()).runJobs(false).build();
        assertThat(training.gpuPool()).extracting(n -> n.name() + ":" + n.gpus().size()).containsExactly("a:2", "b:1");
        assertThat(training.estimate(job("acme", Tier.PRO, 1, 2, Map.of()).build()).price()).isPositive();
        training.close();
        training = Training.builder().home(home).runner(new ScriptedRunner()).runJobs(false)
                .property("training.gpus", "c=1xNVIDIA L4@24").build();
        assertThat(training.gpuPool()).as("the builder overrides the file").extracting(n -> n.name())
                .containsExactly("c");
        training.close();
        Files.writeString(home.resolve(Training.PROPERTIES_FILE), "training.gpus = \\u00zz\n");
        assertThatThrownBy(() -> Training.builder().home(home).runner(new ScriptedRunner()).build())
                .hasMessageContaining("training.properties");
        training = null;
    }

    @Test
    void jobsGetTheirOwnGpus_andAThirdWaitsWithAReason() throws Exception {
        List<UsageRecord> usage = new CopyOnWriteArrayList<>();
        training = service(POOL).usageSink(usage::add).build();
        Map<String, String> slow = Map.of("step_seconds", "0.05", "record_env", "true");
        Job a = training.jobs().submit(job("acme", Tier.PRO, 1, 400, slow).build());
        Job b = training.jobs().submit(job("acme", Tier.PRO, 1, 400, slow).build());
        waitFor(a.id(), j -> j.progress().step() != null);
        waitFor(b.id(), j -> j.progress().step() != null);
        Job c = training.jobs().submit(job("globex", Tier.PRO, 2, 3, Map.of("record_env", "true")).build());
        Job waiting = waitFor(c.id(), j -> j.queueReason() != null);
        assertThat(waiting.status()).isEqualTo(JobStatus.QUEUED);
        assertThat(waiting.queueReason()).startsWith("needs 2 x GPU").contains("0 free on one node");
        assertThat(Set.of(cudaOf(training.jobs().get(a.id())), cudaOf(training.jobs().get(b.id()))))
                .containsExactlyInAnyOrder("0", "1");
        assertThat(training.jobs().get(a.id()).placement().gpus()).hasSize(1);
        training.jobs().cancel(a.id());
        training.jobs().cancel(b.id());
        Job done = training.jobs().await(c.id(), WAIT);
        assertThat(done.status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(cudaOf(done)).isEqualTo("0,1");
        assertThat(done.queueReason()).isNull();
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (usage.stream().noneMatch(u -> u.jobId().equals(c.id())) && System.nanoTime() < deadline) {
            Thread.sleep(20); // usage sinks are called on the listener thread, after the job ends
        }
        assertThat(usage).filteredOn(u -> u.jobId().equals(c.id())).singleElement().satisfies(u -> {
            assertThat(u.tenant()).isEqualTo("globex");
            assertThat(u.gpuType()).as("the GPU the job ran on").isEqualTo("NVIDIA H100 80GB HBM3");
            assertThat(u.gpus()).isEqualTo(2);
            assertThat(u.gpuSeconds()).isEqualTo(2 * u.wallSeconds());
            assertThat(u.tokens()).isPositive();
        });
    }

    @Test
    void gpusAreReleasedOnEveryExitPath() throws Exception {
        training = service("local=1xNVIDIA H100 80GB HBM3@80").build();
        Job failing = training.jobs().submit(job("acme", Tier.PRO, 1, 20, Map.of("fail_at_step", "2")).build());
        assertThat(training.jobs().await(failing.id(), WAIT).status()).isEqualTo(JobStatus.FAILED);
        Job cancelled = training.jobs().submit(job("acme", Tier.PRO, 1, 400, Map.of("step_seconds", "0.05")).build());
        waitFor(cancelled.id(), j -> j.progress().step() != null);
        training.jobs().cancel(cancelled.id());
        assertThat(training.jobs().await(cancelled.id(), WAIT).status()).isEqualTo(JobStatus.CANCELLED);
        Job ok = training.jobs().submit(job("acme", Tier.PRO, 1, 2, Map.of()).build());
        assertThat(training.jobs().await(ok.id(), WAIT).status()).isEqualTo(JobStatus.SUCCEEDED);
        Job last = training.jobs().submit(job("acme", Tier.PRO, 1, 2, Map.of("record_env", "true")).build());
        Job done = training.jobs().await(last.id(), WAIT);
        assertThat(done.status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(cudaOf(done)).isEqualTo("0");
    }

    @Test
    void requestsNoGpuCanServe_areRefusedAtSubmit_andNothingIsStored() {
        training = service("node=8xNVIDIA H100 80GB HBM3@80").build();
        assertThatThrownBy(() -> training.jobs().submit(job("acme", Tier.PRO, 9, 2, Map.of()).build()))
                .isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("/resources/gpus: needs 9 GPUs on one node, and the largest node has 8");
        assertThatThrownBy(() -> training.jobs().submit(job("acme", Tier.PRO, 1, 2, Map.of())
                .resources(Resources.builder().gpus(1).minGpuMemoryGib(200).build()).build()))
                .hasMessageContaining("needs 200.0 GiB on each GPU").hasMessageContaining("has 80 GiB");
        assertThatThrownBy(() -> training.jobs().submit(job("acme", Tier.PRO, 1, 2, Map.of())
                .resources(Resources.builder().gpus(1).gpuType("B200").build()).build()))
                .hasMessageContaining("/resources/gpu_type: no GPU of the pool is a B200; it has 8 x NVIDIA H100");
        assertThatThrownBy(() -> training.quotas().setBudget("acme", -5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0 or more");
        assertThat(training.jobs().list(JobQuery.all()).items()).isEmpty();
    }

    @Test
    void aBudget_refusesJobsItCannotCover_withTheNumbers_andSettlesWhatJobsUse() throws Exception {
        training = service(POOL).build();
        Job first = training.jobs().submit(job("acme", Tier.PRO, 1, 2, Map.of()).build());
        double need = first.estimate().gpuHours();
        assertThat(need).isPositive();
        training.jobs().await(first.id(), WAIT);
        double used = training.quotas().entry(first.id()).orElseThrow().usedGpuHours();
        JobSpec long400 = job("acme", Tier.PRO, 1, 400, Map.of("step_seconds", "0.05")).build();
        double budget = used + training.estimate(long400).gpuHours() + need / 2;
        training.quotas().setBudget("acme", budget);
        Job second = training.jobs().submit(long400);
        assertThatThrownBy(() -> training.jobs().submit(job("acme", Tier.PRO, 1, 2, Map.of()).build()))
                .isInstanceOfSatisfying(QuotaExceededException.class, e -> {
                    assertThat(e.tenant()).isEqualTo("acme");
                    assertThat(e.needed()).as("estimated again, now calibrated by the first job's measured speed")
                            .isCloseTo(need, withinPercentage(5));
                    assertThat(e.budget()).isEqualTo(budget);
                    assertThat(e.remaining()).isCloseTo(need / 2, withinPercentage(5));
                }).hasMessageStartingWith("Tenant acme's GPU-hour budget is exceeded: the job needs ");
        assertThat(training.jobs().list(JobQuery.all()).items()).hasSize(2);
        training.jobs().cancel(second.id());
        training.jobs().await(second.id(), WAIT);
        var entry = training.quotas().entry(second.id()).orElseThrow();
        assertThat(entry.settled()).isTrue();
        assertThat(entry.usedGpuHours()).isPositive().isLessThan(entry.reservedGpuHours());
        assertThat(training.jobs().events(second.id(), 0, 100).items()).anySatisfy(e -> assertThat(e.message())
                .startsWith("reserved ").contains("GPU-h for tenant acme"));
    }

    @Test
    void sixtyFourThreadsSubmittingAtOnce_neverOverspendTheBudget() throws Exception {
        training = service(POOL).runJobs(false).build();
        JobSpec spec = job("acme", Tier.PRO, 1, 2, Map.of()).build();
        double each = training.estimate(spec).gpuHours();
        training.quotas().setBudget("acme", each * 10.5);
        ExecutorService pool = Executors.newFixedThreadPool(64);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Boolean>> all = new ArrayList<>();
        try {
            for (int i = 0; i < 64; i++) {
                all.add(pool.submit(() -> {
                    go.await();
                    try {
                        training.jobs().submit(spec);
                        return true;
                    } catch (QuotaExceededException e) {
                        return false;
                    }
                }));
            }
            go.countDown();
            int accepted = 0;
            for (var f : all) {
                accepted += f.get(120, TimeUnit.SECONDS) ? 1 : 0;
            }
            assertThat(accepted).isEqualTo(10);
        } finally {
            pool.shutdown();
        }
        assertThat(training.jobs().list(JobQuery.builder().limit(100).build()).items()).hasSize(10)
                .allSatisfy(j -> assertThat(j.status()).isEqualTo(JobStatus.QUEUED));
        var usage = training.quotas().usage("acme", Instant.now());
        assertThat(usage.reservedGpuHours()).isCloseTo(each * 10, within(1e-9))
                .isLessThanOrEqualTo(usage.budgetGpuHours());
    }

    @Test
    void aJobPastItsReservation_isStoppedWithACheckpoint() throws Exception {
        Instant start = Instant.now();
        long nanos = System.nanoTime();
        Clock fast = new Clock() {
            @Override
            public ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return start.plusNanos((System.nanoTime() - nanos) * 40);
            }
        };
        training = service(POOL).clock(fast).quotaMargin(0.1).build();
        Job job = training.jobs().submit(job("acme", Tier.PRO, 1, 4000, Map.of("step_seconds", "0.02"))
                .checkpoints(CheckpointPolicy.everySteps(10, 2)).build());
        Job done = training.jobs().await(job.id(), WAIT);
        assertThat(done.status()).isEqualTo(JobStatus.FAILED);
        assertThat(done.failure().cause()).isEqualTo(FailureCause.QUOTA_EXCEEDED);
        assertThat(done.failure().message()).contains("checkpoint kept at");
        assertThat(training.jobs().events(job.id(), 0, 1000).items()).anySatisfy(e -> assertThat(e.message())
                .contains("GPU-h of the").contains("reserved (limit"));
    }

    @Test
    void anEnterpriseJob_preemptsAFreeTierJob_whichResumesFromItsCheckpointAfterwards() throws Exception {
        training = service("local=1xNVIDIA H100 80GB HBM3@80").property("training.scheduler.preemption", "true")
                .build();
        Job free = training.jobs().submit(job("hobby", Tier.FREE, 1, 200, Map.of("step_seconds", "0.05"))
                .checkpoints(CheckpointPolicy.everySteps(5, 2)).build());
        waitFor(free.id(), j -> j.progress().step() != null && j.progress().step() >= 6);
        Job urgent = training.jobs().submit(job("bank", Tier.ENTERPRISE, 1, 5, Map.of()).build());
        assertThat(training.jobs().await(urgent.id(), WAIT).status()).isEqualTo(JobStatus.SUCCEEDED);
        Job resumed = training.jobs().await(free.id(), WAIT);
        assertThat(resumed.status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(resumed.attempt()).isEqualTo(2);
        var events = training.jobs().events(free.id(), 0, 1000).items();
        assertThat(events).anySatisfy(e -> assertThat(e.message()).startsWith("preempted for job " + urgent.id()
                + "; queued again: it resumes from"));
        assertThat(events.stream().filter(e -> e.type().equals(JobEvent.TYPE_PROGRESS))
                .map(e -> ((Number) e.data().get("step")).longValue()).toList()).isSorted().doesNotHaveDuplicates();
    }

    @Test
    void enterpriseJobsGoFirst_whenGpusFree() throws Exception {
        training = service("local=1xNVIDIA H100 80GB HBM3@80").build();
        Job blocker = training.jobs().submit(job("x", Tier.PRO, 1, 400, Map.of("step_seconds", "0.05")).build());
        waitFor(blocker.id(), j -> j.progress().step() != null);
        Job free = training.jobs().submit(job("a", Tier.FREE, 1, 2, Map.of()).build());
        Job enterprise = training.jobs().submit(job("b", Tier.ENTERPRISE, 1, 2, Map.of()).build());
        training.jobs().cancel(blocker.id());
        Job e = training.jobs().await(enterprise.id(), WAIT);
        Job f = training.jobs().await(free.id(), WAIT);
        assertThat(e.startedAt()).isBefore(f.startedAt());
    }
}
