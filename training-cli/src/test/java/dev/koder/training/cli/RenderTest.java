package dev.koder.training.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How the CLI shows a job's evaluation: each figure after the base model's, with the gain. */
class RenderTest {

    @Test
    void evaluation_putsTheBaseModelsFigureFirst_andTheGain() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("eval_recall_at_10", 0.95);
        m.put("base_eval_recall_at_10", 0.05);
        m.put("eval_ndcg_at_10", 0.8031);
        m.put("base_eval_ndcg_at_10", 0.0163);
        m.put("eval_loss", 1.25);
        m.put("base_eval_mrr_at_10", 0.01);
        assertThat(Render.evaluation(m)).isEqualTo("eval_mrr_at_10 0.0100 (base model; no evaluation since), "
                + "eval_loss 1.2500, eval_ndcg_at_10 0.0163 -> 0.8031 (+0.7868), "
                + "eval_recall_at_10 0.0500 -> 0.9500 (+0.9000)");
    }
}
