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

    @Test
    void nothingRecognisable_isLeftToTheService() {
        assertThat(PythonFailures.classify(new ExitStatus(2), List.of("some output"), "python")).isEmpty();
    }
}
