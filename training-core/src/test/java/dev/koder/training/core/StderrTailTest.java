package dev.koder.training.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stderr tail attached to a failure: its last lines as a terminal shows them, progress bars included. */
class StderrTailTest {

    @TempDir
    Path dir;

    @Test
    void progressBarsRewrittenWithCarriageReturns_countAsTheirLastText_andWindowsLineEndsAreDropped() throws Exception {
        Path log = dir.resolve("attempt-1.stderr.log");
        Files.writeString(log, "loading\r\n"
                + "  0%|          | 0/10\r 50%|#####     | 5/10\r100%|##########| 10/10\r\n"
                + " 10%|#         | 1/10\rTraceback (most recent call last):\n"
                + "  File \"train.py\", line 3, in <module>\n"
                + "torch.OutOfMemoryError: CUDA out of memory\n"
                + "\r   \r\n", StandardCharsets.UTF_8);

        assertThat(Supervisor.stderrTail(log, 10)).containsExactly("loading", "100%|##########| 10/10",
                "Traceback (most recent call last):", "  File \"train.py\", line 3, in <module>",
                "torch.OutOfMemoryError: CUDA out of memory");
        assertThat(Supervisor.stderrTail(log, 2)).containsExactly("  File \"train.py\", line 3, in <module>",
                "torch.OutOfMemoryError: CUDA out of memory");
    }
}
