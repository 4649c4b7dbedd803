package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.Map;

/**
 * Something that happened to a job: a status change, training progress, an evaluation, a checkpoint, a
 * warning. Events of one job are numbered 1, 2, 3, ... in the order they were recorded and are never lost
 * or reordered, also across restarts of the service.
 *
 * @param jobId the job
 * @param seq position in the job's event list, from 1
 * @param time when it happened
 * @param level importance
 * @param type what kind of event, one of the {@code TYPE_} constants (runners may add their own)
 * @param message one line for people
 * @param data the figures behind the message (JSON-compatible values: strings, numbers, booleans, lists,
 *     maps)
 */
public record JobEvent(
        @JsonProperty("job_id") String jobId,
        @JsonProperty("seq") long seq,
        @JsonProperty("time") Instant time,
        @JsonProperty("level") EventLevel level,
        @JsonProperty("type") String type,
        @JsonProperty("message") String message,
        @JsonProperty("data") Map<String, Object> data) {

    /** The job moved to another status; data holds {@code from} and {@code to}. */
    public static final String TYPE_STATUS = "status";
    /** Dataset or model validation findings. */
    public static final String TYPE_VALIDATION = "validation";
    /** The trainer started; data holds {@code total_steps}. */
    public static final String TYPE_STARTED = "started";
    /** Training figures; data holds step, loss, learning rate, tokens per second... */
    public static final String TYPE_PROGRESS = "progress";
    /**
     * Evaluation metrics; data holds {@code step} and {@code metrics}, and {@code baseline: true} when they are the
     * base model's, before training.
     */
    public static final String TYPE_EVAL = "eval";
    /**
     * What the base model's figures (an eval event with {@code baseline: true}) are named with, in the job's
     * progress, the registry and MLflow: {@code base_eval_ndcg_at_10} beside the fine-tune's {@code eval_ndcg_at_10}.
     */
    public static final String BASELINE_METRIC_PREFIX = "base_";
    /** A checkpoint was written; data holds {@code step} and {@code path}. */
    public static final String TYPE_CHECKPOINT = "checkpoint";
    /** The trainer finished; data holds {@code output}. */
    public static final String TYPE_COMPLETED = "completed";
    /** The trainer reported an error; data holds {@code kind}. */
    public static final String TYPE_ERROR = "error";
    /** A note from the service (cancellation requested, signal sent, process exited...). */
    public static final String TYPE_NOTE = "note";
    /**
     * What an attempt used, for billing, stored with the attempt's end: data holds {@code attempt}, {@code gpu_type},
     * {@code gpus}, {@code gpu_seconds}, {@code wall_seconds}, {@code tokens}, {@code started_at}, {@code ended_at},
     * {@code outcome}, {@code tier}, {@code price_per_gpu_hour} (absent without a price) and {@code currency}.
     */
    public static final String TYPE_USAGE = "usage";

    /** Copies the data so the record stays immutable. */
    public JobEvent {
        data = data == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(data));
    }
}
