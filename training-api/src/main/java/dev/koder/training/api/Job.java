package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A snapshot of one job: its spec, where it is, how far it got and how it ended.
 *
 * @param id unique id, {@code ftjob-} followed by a time-ordered suffix
 * @param spec the spec as submitted, dataset paths made absolute
 * @param status current status
 * @param cancelRequested whether someone asked to cancel it and the trainer has not stopped yet
 * @param runner name of the runner that runs it
 * @param createdAt when it was submitted
 * @param updatedAt when anything about it last changed
 * @param startedAt when its trainer first started, or null
 * @param finishedAt when it reached a final status, or null
 * @param attempt how many times a trainer was started for it (resumes count)
 * @param progress the latest figures the trainer reported
 * @param lastCheckpoint path of the latest checkpoint the trainer wrote, or null
 * @param output path of the final output folder once it succeeded, or null
 * @param failure why it failed, or null
 * @param resumedFrom the id of the job whose checkpoint this one started from ({@link Jobs#resume}), or null
 * @param estimate what the job was estimated to cost when it was submitted, or null
 * @param queueReason while queued, why it waits (for example "needs 2 x H100, 1 free; 3 jobs ahead in pro"),
 *     else null
 * @param placement while running (and after), the node and GPUs of its latest attempt, or null
 * @param tracking where the job is tracked, recorded by tracking sinks (for example {@code mlflow.run_id} and
 *     {@code mlflow.run_url}); empty when no sink tracks it
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Job(
        @JsonProperty("id") String id,
        @JsonProperty("spec") JobSpec spec,
        @JsonProperty("status") JobStatus status,
        @JsonProperty("cancel_requested") boolean cancelRequested,
        @JsonProperty("runner") String runner,
        @JsonProperty("created_at") Instant createdAt,
        @JsonProperty("updated_at") Instant updatedAt,
        @JsonProperty("started_at") Instant startedAt,
        @JsonProperty("finished_at") Instant finishedAt,
        @JsonProperty("attempt") int attempt,
        @JsonProperty("progress") JobProgress progress,
        @JsonProperty("last_checkpoint") String lastCheckpoint,
        @JsonProperty("output") String output,
        @JsonProperty("failure") JobFailure failure,
        @JsonProperty("resumed_from") String resumedFrom,
        @JsonProperty("estimate") CostEstimate estimate,
        @JsonProperty("queue_reason") String queueReason,
        @JsonProperty("placement") Placement placement,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) @JsonProperty("tracking") Map<String, String> tracking) {

    /** Copies the tracking entries so the record stays immutable. */
    public Job {
        tracking = tracking == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(tracking));
    }

    /** @return the failure, when the job failed */
    public Optional<JobFailure> failed() {
        return Optional.ofNullable(failure);
    }
}
