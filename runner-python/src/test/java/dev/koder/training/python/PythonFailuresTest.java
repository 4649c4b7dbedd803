package dev.koder.training.python;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.FailureCause;
import dev.koder.training.api.JobFailure;
import dev.koder.training.spi.ExitStatus;
import java.util.List;
import org.junit.jupiter.api.Test;

class PythonFailuresTest {

    static JobFailure classify(int code, String... stderr) {
        return PythonFailures.classify(new ExitStatus(code), List.of(stderr), "/venv/bin/python").orElseThrow();
    }

    @Test
    void outOfMemory_missingModules_andTracebacks_areNamed_signalsAreLeftToTheService() {
        assertThat(classify(1, "Traceback (most recent call last):",
                "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB").cause())
                .isEqualTo(FailureCause.OUT_OF_MEMORY);
        JobFailure missing = classify(1, "Traceback (most recent call last):",
                "ModuleNotFoundError: No module named 'flash_attn.bert_padding'");
        assertThat(missing.cause()).isEqualTo(FailureCause.MISSING_DEPENDENCY);
        assertThat(missing.message()).isEqualTo("Python module 'flash_attn' is missing from /venv/bin/python; "
                + "install it with: /venv/bin/python -m pip install flash-attn");
        assertThat(PythonFailures.classify(new ExitStatus(137), List.of(), "python")).isEmpty();
        assertThat(PythonFailures.classify(new ExitStatus(143), List.of(), "python")).isEmpty();
        JobFailure raised = classify(1, "Traceback (most recent call last):", "  File \"x.py\", line 3",
                "ValueError: too many values to unpack");
        assertThat(raised.cause()).isEqualTo(FailureCause.UNKNOWN);
        assertThat(raised.message()).isEqualTo("the trainer raised ValueError: too many values to unpack");
        assertThat(raised.logTail()).hasSize(3);
    }

    /** torchrun's summary as it printed it here after rank 1 was SIGKILLed and rank 0 aborted in gloo. */
    static List<String> summary(String firstRank, String firstCode, String secondRank, String secondCode) {
        return List.of("torch.distributed.elastic.multiprocessing.errors.ChildFailedError: ",
                "============================================================",
                "/job/python/trl_train.py FAILED",
                "------------------------------------------------------------",
                "Failures:", "[1]:", "  time      : 2026-11-29_21:50:37", "  host      : localhost",
                "  rank      : " + firstRank + " (local_rank: " + firstRank + ")",
                "  exitcode  : " + firstCode + " (pid: 30510)", "  error_file: <N/A>",
                "  traceback : Signal received",
                "------------------------------------------------------------",
                "Root Cause (first observed failure):", "[0]:", "  time      : 2026-11-29_21:50:36",
                "  host      : localhost", "  rank      : " + secondRank + " (local_rank: " + secondRank + ")",
                "  exitcode  : " + secondCode + " (pid: 30511)", "  error_file: <N/A>",
                "  traceback : Signal received",
                "============================================================");
    }

    @Test
    void torchrunsSummary_namesTheRankThatWasKilled_notTheOnesThatFailedBecauseOfIt() {
        JobFailure aborted = PythonFailures.classify(new ExitStatus(1), summary("1", "-9", "0", "-6"), "python")
                .orElseThrow();
        assertThat(aborted.cause()).isEqualTo(FailureCause.KILLED);
        assertThat(aborted.message()).isEqualTo("rank 1 was killed by signal 9 (SIGKILL); the other ranks were stopped");
        JobFailure stopped = PythonFailures.classify(new ExitStatus(1), summary("0", "-15", "1", "-9"), "python")
                .orElseThrow();
        assertThat(stopped.message()).startsWith("rank 1 was killed by signal 9");
        assertThat(stopped.logTail()).hasSizeLessThanOrEqualTo(30);
    }

    @Test
    void torchrunsSummary_readsTheFailedRanksOwnLines_andSkipsRanksThatOnlyLostAPeer() {
        java.util.List<String> lines = new java.util.ArrayList<>(List.of(
                "[rank1]:Traceback (most recent call last):",
                "[rank1]:torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB",
                "[rank0]:Traceback (most recent call last):",
                "[rank0]:RuntimeError: [gloo] Read error: Connection reset by peer"));
        lines.addAll(summary("1", "1", "0", "1"));
        JobFailure oom = PythonFailures.classify(new ExitStatus(1), lines, "python").orElseThrow();
        assertThat(oom.cause()).isEqualTo(FailureCause.OUT_OF_MEMORY);
        assertThat(oom.message()).startsWith("rank 1 failed first: the GPU ran out of memory");

        java.util.List<String> silent = new java.util.ArrayList<>(List.of("[rank0]:some output"));
        silent.addAll(summary("1", "-15", "0", "3"));
        assertThat(PythonFailures.classify(new ExitStatus(1), silent, "python").orElseThrow().message())
                .isEqualTo("rank 0 exited with code 3 and the other ranks were stopped");
    }

    @Test
    void nothingRecognisable_isLeftToTheService() {
        assertThat(PythonFailures.classify(new ExitStatus(2), List.of("some output"), "python")).isEmpty();
    }
}
