package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.Map;

/**
 * A checkpoint scored on held-out data on demand ({@link Checkpoints#evaluate}), beside its base model on the same
 * data. Kept in the registry with the checkpoint; the approval gate reads the newest one's figures over the
 * checkpoint's own.
 *
 * <p>The figures are named as a job's evaluation names them, so a gate rule works on either:
 * <ul>
 *   <li>chat, prompt-completion and alpaca data: {@code eval_loss} (mean cross-entropy per trained token, the
 *       tokens SFT learns: assistant turns, completions), {@code eval_mean_token_accuracy} (share of those tokens
 *       the model ranks first) and {@code eval_tokens};</li>
 *   <li>preference data: {@code eval_preference_accuracy} (share of pairs whose chosen answer is the more likely),
 *       {@code eval_logp_margin} (mean log-probability of chosen minus rejected), and for the fine-tune, with the
 *       base model as DPO's reference, {@code eval_reward_accuracy} and {@code eval_reward_margin} (TRL's
 *       {@code rewards/accuracies} and {@code rewards/margins}, with the job's beta);</li>
 *   <li>pairs data (embeddings), scored as retrieval (each anchor a query, its positive the relevant document, every
 *       positive and negative the corpus): {@code eval_ndcg_at_10}, {@code eval_mrr_at_10}, {@code eval_map_at_100},
 *       {@code eval_recall_at_1}, {@code _10} and {@code _100}; groups and scored pairs (rerankers), as re-ranking
 *       of each query's documents, with the same names as a reranker job's evaluation.</li>
 * </ul>
 *
 * @param id its id, {@code eval-...}
 * @param checkpointId the checkpoint scored
 * @param data the data file as given
 * @param dataSha256 the data file's SHA-256 when it was read
 * @param format the data's format
 * @param examples examples scored
 * @param metrics the checkpoint's figures
 * @param baseMetrics the base model's figures on the same data
 * @param actor who asked for it
 * @param createdAt when it finished
 * @param device where it ran ({@code cpu}, {@code cuda})
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Evaluation(@JsonProperty("id") String id, @JsonProperty("checkpoint_id") String checkpointId,
        @JsonProperty("data") String data, @JsonProperty("data_sha256") String dataSha256,
        @JsonProperty("format") DatasetFormat format, @JsonProperty("examples") long examples,
        @JsonProperty("metrics") Map<String, Double> metrics,
        @JsonProperty("base_metrics") Map<String, Double> baseMetrics, @JsonProperty("actor") String actor,
        @JsonProperty("created_at") Instant createdAt, @JsonProperty("device") String device) {

    /** Sorts and copies the maps so the record stays immutable and prints the same way every time. */
    public Evaluation {
        metrics = metrics == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(metrics));
        baseMetrics = baseMetrics == null ? Map.of()
                : java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(baseMetrics));
    }
}
