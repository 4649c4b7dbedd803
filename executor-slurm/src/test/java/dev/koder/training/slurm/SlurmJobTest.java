package dev.koder.training.slurm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.koder.training.spi.ExitStatus;
import dev.koder.training.spi.JobScheduler;
import dev.koder.training.spi.LaunchPlan;
import dev.koder.training.spi.PluginConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Slurm's states and wait statuses as the service reads them, the batch script, and the settings' errors. */
class SlurmJobTest {

    static SlurmJob job(String state, Integer raw) {
        return new SlurmJob(42, state, raw, "gpu-node-1", List.of());
    }

    @Test
    void exitCodes_areReadFromTheRawWaitStatus_andSlurmsOwnEndsCarryTheirState() {
        assertThat(job("COMPLETED", 0).exit().success()).isTrue();
        assertThat(job("FAILED", 768).exit()).isEqualTo(new ExitStatus(3));
        assertThat(job("FAILED", 9).exit().signal()).hasValue(9);
        ExitStatus cancelled = job("CANCELLED", 15).exit();
        assertThat(cancelled.signal()).hasValue(15);
        assertThat(cancelled.state()).isEqualTo("slurm:CANCELLED");
        assertThat(cancelled.cause()).as("the cause table names it, not the executor").isNull();
        assertThat(cancelled.success()).isFalse();
        assertThat(job("TIMEOUT", 15).exit().state()).isEqualTo("slurm:TIMEOUT");
        assertThat(job("NODE_FAIL", null).exit().state()).isEqualTo("slurm:NODE_FAIL");
        assertThat(job("NODE_FAIL", null).exit().reason()).isEqualTo("Slurm job 42 lost its node gpu-node-1 (NODE_FAIL)");
        assertThat(job("PREEMPTED", 15).exit().state()).isEqualTo("slurm:PREEMPTED");
        assertThat(job("OUT_OF_MEMORY", 9).exit().state()).isEqualTo("slurm:OUT_OF_MEMORY");
        assertThat(job("COMPLETED", 0).exit().state()).isNull();
        assertThat(job("RUNNING", null).active()).isTrue();
        assertThat(job("PENDING", null).active()).isTrue();
        assertThat(job("COMPLETED", 0).active()).isFalse();
    }

    @Test
    void gresDetail_givesTheIndexesSlurmChose() {
        assertThat(SlurmJob.indexes(List.of("gpu:1(IDX:1)"))).containsExactly(1);
        assertThat(SlurmJob.indexes(List.of("gpu:h100:4(IDX:0,2-4)"))).containsExactly(0, 2, 3, 4);
        assertThat(SlurmJob.indexes(List.of("mps:100(IDX:0)"))).isEmpty();
    }

    @Test
    void theBatchScript_quotesEveryWord_checksTheSharedHome_andKillsWhatTheTrainerLeft() {
        LaunchPlan plan = new LaunchPlan(List.of("/venv/bin/python", "/jobs/it's/train.py", "$(rm -rf /)"), Map.of(),
                Path.of("/jobs/it's"), Path.of("/jobs/o"), Path.of("/jobs/e"), new JobScheduler.Allocation("n1",
                        List.of(0, 1)), null);
        String script = SlurmExecutor.script(plan);
        assertThat(script).contains("setsid '/venv/bin/python' '/jobs/it'\\''s/train.py' '$(rm -rf /)' &")
                .contains("if [ ! -d '/jobs/it'\\''s' ]; then").contains("exit 97").contains("kill -KILL -\"$trainer\"");
    }

    @Test
    void aJob_pinsGpuJobsToTheirNode_andLeavesCudaVisibleDevicesToSlurm() {
        SlurmSettings settings = SlurmSettings.from(new PluginConfig(Path.of("/h"), Map.of("training.slurm.url",
                "http://head:6820", "training.slurm.user", "svc", "training.slurm.token", "t",
                "training.slurm.partition", "gpu", "training.slurm.cpus-per-gpu", "8")));
        SlurmExecutor executor = new SlurmExecutor(settings, Path.of("/nonexistent-home"));
        try {
            Map<String, Object> gpu = executor.job(new LaunchPlan(List.of("python"), Map.of("CUDA_VISIBLE_DEVICES", "0,1",
                    "A", "b"), Path.of("/jobs/j1"), Path.of("/jobs/j1/o"), Path.of("/jobs/j1/e"),
                    new JobScheduler.Allocation("n1", List.of(0, 1)), "job-1-abc"));
            assertThat(gpu).containsEntry("nodelist", "n1").containsEntry("gres", "gpu:2")
                    .containsEntry("cpus_per_task", 16).containsEntry("partition", "gpu")
                    .containsEntry("name", "training-j1").containsEntry("comment", "training-launch:job-1-abc");
            assertThat(env(gpu)).containsEntry("A", "b").doesNotContainKeys("CUDA_VISIBLE_DEVICES",
                    LaunchPlan.CPU_THREADS_ENV);
            // a CPU job's threads: the CPUs Slurm is asked for, not the service host's share it came with
            Map<String, Object> cpu = executor.job(new LaunchPlan(List.of("python"), Map.of("CUDA_VISIBLE_DEVICES", "",
                    LaunchPlan.CPU_THREADS_ENV, "7"), Path.of("/jobs/j2"), Path.of("/jobs/j2/o"), Path.of("/jobs/j2/e")));
            assertThat(cpu).doesNotContainKeys("nodelist", "gres", "comment").containsEntry("cpus_per_task", 1);
            assertThat(env(cpu)).containsEntry("CUDA_VISIBLE_DEVICES", "").containsEntry(LaunchPlan.CPU_THREADS_ENV, "1");
        } finally {
            executor.close();
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, String> env(Map<String, Object> job) {
        return (Map<String, String>) job.get("environment");
    }

    @Test
    void missingSettings_areNamedAllAtOnce() {
        assertThatThrownBy(() -> SlurmSettings.from(new PluginConfig(Path.of("/h"), Map.of("training.slurm.url",
                "ftp://x", "training.slurm.poll-ms", "0"))))
                .hasMessageContaining("training.slurm.url must be an http(s) URL, got 'ftp://x'")
                .hasMessageContaining("training.slurm.user is required")
                .hasMessageContaining("training.slurm.token-file (or training.slurm.token) is required")
                .hasMessageContaining("property training.slurm.poll-ms must be a whole number of 1 or more, got \"0\"");
    }
}
