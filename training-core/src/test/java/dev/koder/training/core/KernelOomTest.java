package dev.koder.training.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.FailureCause;
import dev.koder.training.api.JobFailure;
import dev.koder.training.spi.ExitStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The one decision about how a trainer died, and the kernel's out-of-memory evidence it rests on: read from real
 * kernel log lines, and from a real out-of-memory kill in a memory cgroup of 64 MiB made for the test.
 */
class KernelOomTest {

    static final java.util.Set<Long> TRAINER = java.util.Set.of(4321L, 77L, 555L);

    @Test
    void kernelLogLines_ofEveryKind_nameTheKilledProcess() {
        assertThat(KernelOom.fromLog(List.of("[ 812.334] Out of memory: Killed process 4321 (python3) "
                + "total-vm:9812340kB, anon-rss:8012344kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:16384kB"), TRAINER))
                .contains("the kernel log says it killed process 4321 (python3) for lack of memory");
        assertThat(KernelOom.fromLog(List.of("[1234.5] Memory cgroup out of memory: Killed process 77 (pt_main_thread) "
                + "total-vm:1kB"), TRAINER)).contains("the kernel log says it killed process 77 (pt_main_thread) for lack of memory");
        assertThat(KernelOom.fromLog(List.of("[99.1] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,"
                + "mems_allowed=0,oom_memcg=/job,task_memcg=/job,task=python3,pid=555,uid=0"), TRAINER))
                .contains("the kernel log says it killed process 555 for lack of memory");
        assertThat(KernelOom.fromLog(List.of("[1.4] EXT4-fs (vda): mounted filesystem", "usb 1-1: new device"), TRAINER))
                .isEmpty();
        // another process's kill is not the trainer's evidence
        assertThat(KernelOom.fromLog(List.of("[ 9.1] Out of memory: Killed process 999 (postgres) total-vm:1kB"),
                TRAINER)).isEmpty();
    }

    @Test
    void sigkill_isTheHostsMemory_onlyWithTheKernelsEvidence() {
        TrainerState state = new TrainerState(dev.koder.training.api.JobProgress.NONE, null);
        JobFailure withEvidence = FailureClassifier.classify(state, new ExitStatus(137), List.of(), null,
                Optional.of("the kernel log says it killed process 1 (python3) for lack of memory"));
        assertThat(withEvidence.cause()).isEqualTo(FailureCause.HOST_OUT_OF_MEMORY);
        assertThat(withEvidence.message()).contains("killed process 1 (python3)").contains("micro_batch_size");
        JobFailure without = FailureClassifier.classify(state, new ExitStatus(137), List.of(), null, Optional.empty());
        assertThat(without.cause()).isEqualTo(FailureCause.KILLED);
        assertThat(without.message()).contains("signal 9").contains("no sign of the kernel's out-of-memory killer");
        assertThat(FailureClassifier.classify(state, new ExitStatus(143), List.of(), null, Optional.of("x")).cause())
                .isEqualTo(FailureCause.KILLED);
        state.errorKind = "out_of_memory";
        state.errorMessage = "CUDA out of memory";
        assertThat(FailureClassifier.classify(state, new ExitStatus(137), List.of(), null, Optional.empty()).cause())
                .as("the trainer's own report wins").isEqualTo(FailureCause.OUT_OF_MEMORY);
    }

    @Test
    void theLogAfterAMark_isFoundByTime_evenWhenTheRingBufferWrappedAndKeptItsLength() {
        KernelOom.Mark mark = new KernelOom.Mark(200.5, "[  200.500000] last line then");
        List<String> wrapped = List.of("[  150.000000] old", "[  200.500000] last line then",
                "[  201.000000] Memory cgroup out of memory: Killed process 9 (python3) total-vm:1kB");
        assertThat(KernelOom.after(wrapped, mark)).containsExactly(wrapped.get(2));
        assertThat(KernelOom.fromLog(KernelOom.after(wrapped, mark), java.util.Set.of(9L))).isPresent();
        KernelOom.Mark untimed = new KernelOom.Mark(-1, "b");
        assertThat(KernelOom.after(List.of("a", "b", "c"), untimed)).containsExactly("c");
        assertThat(KernelOom.after(List.of("x", "y"), untimed)).as("the mark's line was overwritten").containsExactly("x",
                "y");
    }

    @Test
    void aRealOutOfMemoryKill_inAMemoryCgroup_leavesEvidence() throws Exception {
        Path cgroups = Path.of("/sys/fs/cgroup/memory");
        Path v2 = Path.of("/sys/fs/cgroup/cgroup.controllers");
        Path group;
        if (Files.isDirectory(cgroups)) {
            group = cgroups.resolve("koder-oom-test-" + ProcessHandle.current().pid());
        } else {
            assertThat(v2).as("a memory cgroup (v1 or v2) to run the test in").exists();
            group = Path.of("/sys/fs/cgroup/koder-oom-test-" + ProcessHandle.current().pid());
        }
        Files.createDirectories(group);
        try {
            boolean isV1 = Files.exists(group.resolve("memory.limit_in_bytes"));
            Files.writeString(group.resolve(isV1 ? "memory.limit_in_bytes" : "memory.max"), "67108864");
            if (!isV1) {
                Files.writeString(group.resolve("memory.swap.max"), "0");
            }
            KernelOom.Mark mark = KernelOom.mark();
            // The shell moves itself into the cgroup, then becomes a Python that wants 512 MiB.
            Process p = new ProcessBuilder("sh", "-c", "echo $$ > " + group.resolve("cgroup.procs")
                    + " && exec python3 -c 'import time; x = bytearray(512 << 20); time.sleep(5)'")
                    .redirectErrorStream(true).start();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as("killed by SIGKILL: %s", new String(p.getInputStream().readAllBytes()))
                    .isEqualTo(137);
            Optional<String> evidence = Optional.empty();
            for (int i = 0; i < 50 && evidence.isEmpty(); i++) {
                evidence = KernelOom.since(mark, java.util.Set.of(p.pid()));
                Thread.sleep(100);
            }
            assertThat(evidence).as("the kernel's evidence of the kill").isPresent();
            assertThat(FailureClassifier.classify(new TrainerState(dev.koder.training.api.JobProgress.NONE, null), new ExitStatus(137), List.of(), null, evidence)
                    .cause()).isEqualTo(FailureCause.HOST_OUT_OF_MEMORY);
        } finally {
            Files.deleteIfExists(group);
        }
    }
}
