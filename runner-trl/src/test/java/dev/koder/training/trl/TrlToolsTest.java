package dev.koder.training.trl;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The quickstart's scoring tool (evaluate.py) run for real on the tiny model: every held-out example scored,
 * a finite loss, generated samples, and a preference accuracy over the held-out pairs.
 */
class TrlToolsTest {

    @TempDir
    Path dir;

    @Test
    void evaluate_scoresEveryHeldOutExample_andThePreferencePairs() throws Exception {
        TinyWorld w = TinyWorld.get();
        Path prefs = TinyWorld.DATA.resolve("shout-test-prefs.jsonl");
        long examples = Files.readAllLines(TinyWorld.TEST).stream().filter(l -> !l.isBlank()).count();

        TrlTools.Scores s = w.tools.evaluate(w.model, null, TinyWorld.TEST, prefs, null, dir.resolve("work"),
                line -> { });

        assertThat(s.total()).isEqualTo(examples);
        assertThat(s.loss()).isFinite().isPositive();
        assertThat(s.exactMatch()).isBetween(0, s.total());
        assertThat(s.samples()).isNotEmpty().allSatisfy(m -> assertThat(m).containsKeys("prompt", "expected", "got"));
        assertThat(s.preferenceAccuracy()).isBetween(0.0, 1.0);
        assertThat(s.preferenceMargin()).isFinite();
    }
}
