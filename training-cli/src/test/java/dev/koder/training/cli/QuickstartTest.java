package dev.koder.training.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's main job, run for real: TRL on the CPU, in the managed Python environment. */
class QuickstartTest {

    @TempDir
    Path home;

    @Test
    void quickstart_trainsATinyModelThatVisiblyLearns() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new String[] {"quickstart", "--home", home.toString()}, new PrintWriter(out, true),
                new PrintWriter(err, true));
        String text = out.toString();
        assertThat(code).as(text + err).isZero();
        assertThat(text).contains("[6/6] Results on the 40 held-out words").contains("SFT adapter: ")
                .contains("DPO adapter: ").contains("Done in ").contains("Registered checkpoints (drafts; files in ")
                .contains("Approve the DPO adapter:  ./training checkpoints approve ckpt-");
        Matcher registered = Pattern.compile("ckpt-\\w+\\s+(sft\\+lora|dpo\\+lora)\\s+step \\d+\\s+final").matcher(text);
        assertThat(registered.results().count()).as("both jobs' outputs are registered: " + text).isEqualTo(2);
        Matcher before = Pattern.compile("before\\s+([0-9.]+)\\s+(\\d+)/40").matcher(text);
        Matcher sft = Pattern.compile("after SFT\\s+([0-9.]+)\\s+(\\d+)/40").matcher(text);
        Matcher dpo = Pattern.compile("after DPO\\s+[0-9.]+\\s+\\d+/40\\s+(\\d+)% \\(margin \\+([0-9.]+)\\)")
                .matcher(text);
        assertThat(before.find() && sft.find() && dpo.find()).as(text).isTrue();
        assertThat(Double.parseDouble(sft.group(1))).isLessThan(Double.parseDouble(before.group(1)) * 0.7);
        assertThat(Integer.parseInt(sft.group(2))).isGreaterThanOrEqualTo(30);
        assertThat(Integer.parseInt(dpo.group(1))).isGreaterThanOrEqualTo(90);
        Matcher dpoLoss = Pattern.compile("DPO at its last step: loss ([0-9.]+) \\(ln 2 = 0.693\\), reward margin "
                + "([0-9.]+)").matcher(text);
        assertThat(dpoLoss.find()).isTrue();
        assertThat(Double.parseDouble(dpoLoss.group(1))).isLessThan(Math.log(2));

        // the next steps it prints work as printed: score, approve, export
        for (String step : List.of("Score the DPO adapter:", "Approve the DPO adapter:", "Export it for serving:")) {
            Matcher m = Pattern.compile(Pattern.quote(step) + " +\\./training (.+)").matcher(text);
            assertThat(m.find()).as(step + " in " + text).isTrue();
            List<String> args = new java.util.ArrayList<>();
            Matcher word = Pattern.compile("\"([^\"]*)\"|(\\S+)").matcher(m.group(1));
            while (word.find()) {
                args.add(word.group(1) != null ? word.group(1) : word.group(2));
            }
            StringWriter stepOut = new StringWriter();
            StringWriter stepErr = new StringWriter();
            int stepCode = Main.run(args.toArray(String[]::new), new PrintWriter(stepOut, true),
                    new PrintWriter(stepErr, true));
            assertThat(stepCode).as(step + "\n" + stepOut + stepErr).isZero();
            System.out.print(stepOut);
            if (step.startsWith("Score")) {
                // its base is the SFT model, already right on most pairs: DPO widens the margin
                Matcher accuracy = Pattern.compile("eval_preference_accuracy +([0-9.]+) +([0-9.]+)")
                        .matcher(stepOut.toString());
                Matcher margin = Pattern.compile("eval_logp_margin +([0-9.]+) +([0-9.]+)").matcher(stepOut.toString());
                Matcher reward = Pattern.compile("eval_reward_margin +([0-9.]+) +-").matcher(stepOut.toString());
                assertThat(accuracy.find() && margin.find() && reward.find()).as(stepOut.toString()).isTrue();
                assertThat(Double.parseDouble(accuracy.group(1))).isGreaterThanOrEqualTo(0.9)
                        .isGreaterThanOrEqualTo(Double.parseDouble(accuracy.group(2)));
                assertThat(Double.parseDouble(margin.group(1))).isGreaterThan(Double.parseDouble(margin.group(2)));
                assertThat(Double.parseDouble(reward.group(1))).isPositive();
            }
            if (step.startsWith("Export")) {
                assertThat(stepOut.toString()).contains("merged into ").contains("Merge check: the merged float32 "
                        + "model's logits differ from the adapter's by at most");
            }
        }
    }

    @Test
    void embeddingQuickstart_liftsHeldOutNdcgAndRecall_andTheAdapterReproducesTheJobsFigure() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new String[] {"quickstart", "--embedding", "--home", home.toString()},
                new PrintWriter(out, true), new PrintWriter(err, true));
        String text = out.toString();
        assertThat(code).as(text + err).isZero();
        Matcher before = Pattern.compile("before\\s+([0-9.]+)\\s+([0-9.]+)\\s+[0-9.]+").matcher(text);
        Matcher after = Pattern.compile("after LoRA\\s+([0-9.]+)\\s+([0-9.]+)\\s+[0-9.]+").matcher(text);
        Matcher reported = Pattern.compile("the job reported ([0-9.]+) -> ([0-9.]+); the adapter, loaded back with "
                + "sentence-transformers, scores ([0-9.]+)").matcher(text);
        assertThat(before.find() && after.find() && reported.find()).as(text).isTrue();
        // held-out NDCG@10 and recall@10 from random (about 0.02 and 0.03) to most queries found
        assertThat(Double.parseDouble(after.group(1))).isGreaterThan(Double.parseDouble(before.group(1)) + 0.5);
        assertThat(Double.parseDouble(after.group(2))).isGreaterThan(Double.parseDouble(before.group(2)) + 0.6);
        assertThat(reported.group(3)).isEqualTo(reported.group(2));
        assertThat(text).contains("Approve it:  ./training checkpoints approve ckpt-");
    }
}
