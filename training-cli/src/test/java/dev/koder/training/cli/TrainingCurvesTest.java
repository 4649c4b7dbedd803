package dev.koder.training.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.EventLevel;
import dev.koder.training.api.JobEvent;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** The curves read from events, and the PNG drawn from them read back as an image. */
class TrainingCurvesTest {

    static List<JobEvent> sft() {
        List<JobEvent> events = new ArrayList<>();
        for (int step = 1; step <= 60; step++) {
            events.add(event(events.size() + 1, JobEvent.TYPE_PROGRESS, Map.of("step", step, "loss",
                    4.0 * Math.exp(-step / 20.0), "learning_rate", 2e-4 * (1 - step / 60.0))));
            if (step % 20 == 0) {
                events.add(event(events.size() + 1, JobEvent.TYPE_EVAL, Map.of("step", step, "metrics",
                        Map.of("eval_loss", 4.2 * Math.exp(-step / 25.0)))));
            }
        }
        return events;
    }

    static List<JobEvent> dpo() {
        List<JobEvent> events = new ArrayList<>();
        for (int step = 1; step <= 40; step++) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("step", step);
            d.put("loss", 0.69 - step * 0.005);
            d.put("learning_rate", 5e-6);
            d.put("rewards_margins", step * 0.02);
            d.put("rewards_accuracies", Math.min(1.0, 0.5 + step * 0.015));
            events.add(event(events.size() + 1, JobEvent.TYPE_PROGRESS, d));
        }
        return events;
    }

    static JobEvent event(long seq, String type, Map<String, Object> data) {
        return new JobEvent("ftjob-x", seq, Instant.parse("2026-11-29T10:00:00Z").plusSeconds(seq), EventLevel.INFO, type,
                type, data);
    }

    static BufferedImage draw(TrainingCurves c) throws Exception {
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        c.png(png, 900, 700);
        return ImageIO.read(new ByteArrayInputStream(png.toByteArray()));
    }

    /** Distinct colours in the picture, and how many pixels are not white. */
    static int[] ink(BufferedImage img) {
        Set<Integer> colours = new HashSet<>();
        int dark = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int rgb = img.getRGB(x, y) & 0xffffff;
                colours.add(rgb);
                if (rgb != 0xffffff) {
                    dark++;
                }
            }
        }
        return new int[] {colours.size(), dark};
    }

    @Test
    void anSftJob_hasTrainAndEvalLossAndLearningRate_drawnAsAPicture() throws Exception {
        TrainingCurves c = TrainingCurves.of("ftjob-x", sft());
        assertThat(c.series().keySet()).containsExactly("loss", "eval_loss", "learning_rate");
        assertThat(c.series().get("loss")).hasSize(60);
        assertThat(c.series().get("eval_loss")).extracting(p -> p[0]).containsExactly(20.0, 40.0, 60.0);
        BufferedImage img = draw(c);
        assertThat(img.getWidth()).isEqualTo(900);
        assertThat(img.getHeight()).isEqualTo(700);
        int[] ink = ink(img);
        assertThat(ink[0]).as("colours").isGreaterThan(10);
        assertThat(ink[1]).as("pixels not white").isGreaterThan(900 * 700 / 50);
        // the train loss line's blue is there
        assertThat(hasColour(img, 0x1f77b4)).isTrue();
    }

    @Test
    void aDpoJob_addsRewardMarginAndAccuracyPanels() throws Exception {
        TrainingCurves c = TrainingCurves.of("ftjob-x", dpo());
        assertThat(c.series().keySet()).containsExactly("loss", "learning_rate", "rewards/margins",
                "rewards/accuracies");
        assertThat(c.series().get("rewards/margins").get(39)[1]).isEqualTo(0.8, org.assertj.core.api.Assertions.within(1e-9));
        BufferedImage img = draw(c);
        assertThat(ink(img)[1]).isGreaterThan(900 * 700 / 50);
        assertThat(hasColour(img, 0x9467bd)).as("the margin panel's purple").isTrue();
        assertThat(hasColour(img, 0xd62728)).as("the accuracy panel's red").isTrue();
    }

    @Test
    void aJobWithoutFigures_hasNothingToDraw() {
        assertThat(TrainingCurves.of("ftjob-x", List.of(event(1, JobEvent.TYPE_STATUS, Map.of("to", "queued"))))
                .isEmpty()).isTrue();
    }

    static boolean hasColour(BufferedImage img, int rgb) {
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                if ((img.getRGB(x, y) & 0xffffff) == rgb) {
                    return true;
                }
            }
        }
        return false;
    }
}
