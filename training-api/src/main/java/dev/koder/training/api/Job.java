package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A snapshot of one job: its spec, where it is, how far it got and how it ended.
 *
 * <p>Built with {@link #builder()}; {@link #toBuilder()} copies one to change some of its fields. New fields
 * may be added in later versions without breaking callers.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public final class Job {
    private final String id;
    private final JobSpec spec;
    private final JobStatus status;
    private final boolean cancelRequested;
    private final boolean pauseRequested;
    private final String runner;
    private final Instant createdAt;
    private final Instant updatedAt;
    private final Instant startedAt;
    private final Instant finishedAt;
    private final int attempt;
    private final int retries;
    private final List<String> autoSettings;
    private final Instant notBefore;
    private final JobProgress progress;
    private final String lastCheckpoint;
    private final String output;
    private final JobFailure failure;
    private final String resumedFrom;
    private final CostEstimate estimate;
    private final String queueReason;
    private final Placement placement;
    private final Map<String, String> tracking;
    private final String submittedBy;

    private Job(Builder b) {
        id = b.id;
        spec = b.spec;
        status = b.status;
        cancelRequested = b.cancelRequested;
        pauseRequested = b.pauseRequested;
        runner = b.runner;
        createdAt = b.createdAt;
        updatedAt = b.updatedAt;
        startedAt = b.startedAt;
        finishedAt = b.finishedAt;
        attempt = b.attempt;
        retries = b.retries;
        autoSettings = b.autoSettings == null ? List.of() : List.copyOf(b.autoSettings);
        notBefore = b.notBefore;
        progress = b.progress;
        lastCheckpoint = b.lastCheckpoint;
        output = b.output;
        failure = b.failure;
        resumedFrom = b.resumedFrom;
        estimate = b.estimate;
        queueReason = b.queueReason;
        placement = b.placement;
        tracking = b.tracking == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(b.tracking));
        submittedBy = b.submittedBy;
    }

    /** @return a builder with every field unset */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder holding this one's fields */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.id = id;
        b.spec = spec;
        b.status = status;
        b.cancelRequested = cancelRequested;
        b.pauseRequested = pauseRequested;
        b.runner = runner;
        b.createdAt = createdAt;
        b.updatedAt = updatedAt;
        b.startedAt = startedAt;
        b.finishedAt = finishedAt;
        b.attempt = attempt;
        b.retries = retries;
        b.autoSettings = autoSettings;
        b.notBefore = notBefore;
        b.progress = progress;
        b.lastCheckpoint = lastCheckpoint;
        b.output = output;
        b.failure = failure;
        b.resumedFrom = resumedFrom;
        b.estimate = estimate;
        b.queueReason = queueReason;
        b.placement = placement;
        b.tracking = tracking;
        b.submittedBy = submittedBy;
        return b;
    }

    /** How Jackson reads one; code builds them with {@link #builder()}. */
    @JsonCreator
    private static Job fromJson(
            @JsonProperty("id") String id,
            @JsonProperty("spec") JobSpec spec,
            @JsonProperty("status") JobStatus status,
            @JsonProperty("cancel_requested") boolean cancelRequested,
            @JsonProperty("pause_requested") boolean pauseRequested,
            @JsonProperty("runner") String runner,
            @JsonProperty("created_at") Instant createdAt,
            @JsonProperty("updated_at") Instant updatedAt,
            @JsonProperty("started_at") Instant startedAt,
            @JsonProperty("finished_at") Instant finishedAt,
            @JsonProperty("attempt") int attempt,
            @JsonProperty("retries") int retries,
            @JsonProperty("not_before") Instant notBefore,
            @JsonProperty("progress") JobProgress progress,
            @JsonProperty("last_checkpoint") String lastCheckpoint,
            @JsonProperty("output") String output,
            @JsonProperty("failure") JobFailure failure,
            @JsonProperty("resumed_from") String resumedFrom,
            @JsonProperty("estimate") CostEstimate estimate,
            @JsonProperty("queue_reason") String queueReason,
            @JsonProperty("placement") Placement placement,
            @JsonProperty("tracking") Map<String, String> tracking,
            @JsonProperty("auto_settings") List<String> autoSettings,
            @JsonProperty("submitted_by") String submittedBy) {
        return builder()
                .id(id)
                .spec(spec)
                .status(status)
                .cancelRequested(cancelRequested)
                .pauseRequested(pauseRequested)
                .runner(runner)
                .createdAt(createdAt)
                .updatedAt(updatedAt)
                .startedAt(startedAt)
                .finishedAt(finishedAt)
                .attempt(attempt)
                .retries(retries)
                .notBefore(notBefore)
                .progress(progress)
                .lastCheckpoint(lastCheckpoint)
                .output(output)
                .failure(failure)
                .resumedFrom(resumedFrom)
                .estimate(estimate)
                .queueReason(queueReason)
                .placement(placement)
                .tracking(tracking)
                .autoSettings(autoSettings)
                .submittedBy(submittedBy)
                .build();
    }

    /** @return unique id, {@code ftjob-} followed by a time-ordered suffix */
    @JsonProperty("id")
    public String id() {
        return id;
    }

    /** @return the spec as submitted, dataset paths made absolute */
    @JsonProperty("spec")
    public JobSpec spec() {
        return spec;
    }

    /** @return current status */
    @JsonProperty("status")
    public JobStatus status() {
        return status;
    }

    /** @return whether someone asked to cancel it and the trainer has not stopped yet */
    @JsonProperty("cancel_requested")
    public boolean cancelRequested() {
        return cancelRequested;
    }

    /** @return whether someone asked to pause it and the trainer has not stopped yet */
    @JsonProperty("pause_requested")
    public boolean pauseRequested() {
        return pauseRequested;
    }

    /** @return name of the runner that runs it */
    @JsonProperty("runner")
    public String runner() {
        return runner;
    }

    /** @return when it was submitted */
    @JsonProperty("created_at")
    public Instant createdAt() {
        return createdAt;
    }

    /** @return when anything about it last changed */
    @JsonProperty("updated_at")
    public Instant updatedAt() {
        return updatedAt;
    }

    /** @return when its trainer first started, or null */
    @JsonProperty("started_at")
    public Instant startedAt() {
        return startedAt;
    }

    /** @return when it reached a final status, or null */
    @JsonProperty("finished_at")
    public Instant finishedAt() {
        return finishedAt;
    }

    /** @return how many times a trainer was started for it (resumes count) */
    @JsonProperty("attempt")
    public int attempt() {
        return attempt;
    }

    /** @return how many times the service retried the job on its own after a transient failure */
    @JsonProperty("retries")
    public int retries() {
        return retries;
    }

    /**
     * @return the settings the spec left to the service ({@code micro_batch_size}, {@code gradient_checkpointing}),
     *     which it chose at admission and may change again: an out-of-memory failure of a job whose micro-batch size
     *     is among them is retried once with it halved (and gradient accumulation doubled, the same effective batch)
     */
    @JsonProperty("auto_settings")
    public List<String> autoSettings() {
        return autoSettings;
    }

    /** @return while queued for a retry, the time before which it does not start (the backoff), else null */
    @JsonProperty("not_before")
    public Instant notBefore() {
        return notBefore;
    }

    /** @return the latest figures the trainer reported */
    @JsonProperty("progress")
    public JobProgress progress() {
        return progress;
    }

    /** @return path of the latest checkpoint the trainer wrote, or null */
    @JsonProperty("last_checkpoint")
    public String lastCheckpoint() {
        return lastCheckpoint;
    }

    /** @return path of the final output folder once it succeeded, or null */
    @JsonProperty("output")
    public String output() {
        return output;
    }

    /** @return why it failed, or null */
    @JsonProperty("failure")
    public JobFailure failure() {
        return failure;
    }

    /** @return the id of the job whose checkpoint this one started from ({@link Jobs#resume}), or null */
    @JsonProperty("resumed_from")
    public String resumedFrom() {
        return resumedFrom;
    }

    /** @return what the job was estimated to cost when it was submitted, or null */
    @JsonProperty("estimate")
    public CostEstimate estimate() {
        return estimate;
    }

    /** @return while queued, why it waits (for example "needs 2 x H100, 1 free; 3 jobs ahead in pro"), else null */
    @JsonProperty("queue_reason")
    public String queueReason() {
        return queueReason;
    }

    /** @return while running (and after), the node and GPUs of its latest attempt, or null */
    @JsonProperty("placement")
    public Placement placement() {
        return placement;
    }

    /**
     * @return where the job is tracked, recorded by tracking sinks (for example {@code mlflow.run_id} and {@code
     *     mlflow.run_url}); empty when no sink tracks it
     */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    @JsonProperty("tracking")
    public Map<String, String> tracking() {
        return tracking;
    }

    /**
     * @return who submitted it (an API key's name, a person), as the caller of {@link Jobs#submit(JobSpec, String)}
     *     said; null when not said. The approval gate's other-approver rule reads it.
     */
    @JsonProperty("submitted_by")
    public String submittedBy() {
        return submittedBy;
    }

    /** @return the failure, when the job failed */
    public Optional<JobFailure> failed() {
        return Optional.ofNullable(failure);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Job)) {
            return false;
        }
        Job other = (Job) o;
        return Objects.equals(id, other.id) && Objects.equals(spec, other.spec)
                && Objects.equals(status, other.status) && cancelRequested == other.cancelRequested
                && pauseRequested == other.pauseRequested && Objects.equals(runner, other.runner)
                && Objects.equals(createdAt, other.createdAt) && Objects.equals(updatedAt, other.updatedAt)
                && Objects.equals(startedAt, other.startedAt) && Objects.equals(finishedAt, other.finishedAt)
                && attempt == other.attempt && retries == other.retries
                && Objects.equals(notBefore, other.notBefore) && Objects.equals(progress, other.progress)
                && Objects.equals(lastCheckpoint, other.lastCheckpoint) && Objects.equals(output, other.output)
                && Objects.equals(failure, other.failure) && Objects.equals(resumedFrom, other.resumedFrom)
                && Objects.equals(estimate, other.estimate) && Objects.equals(queueReason, other.queueReason)
                && Objects.equals(placement, other.placement) && Objects.equals(tracking, other.tracking)
                && Objects.equals(autoSettings, other.autoSettings) && Objects.equals(submittedBy, other.submittedBy);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, spec, status, cancelRequested, pauseRequested, runner, createdAt, updatedAt,
                startedAt, finishedAt, attempt, retries, notBefore, progress, lastCheckpoint, output, failure,
                resumedFrom, estimate, queueReason, placement, tracking, autoSettings, submittedBy);
    }

    @Override
    public String toString() {
        return "Job[id=" + id + ", ...]";
    }

    /** Builds a {@link Job}; every field starts unset (null, 0 or false). */
    public static final class Builder {
        private String id;
        private JobSpec spec;
        private JobStatus status;
        private boolean cancelRequested;
        private boolean pauseRequested;
        private String runner;
        private Instant createdAt;
        private Instant updatedAt;
        private Instant startedAt;
        private Instant finishedAt;
        private int attempt;
        private int retries;
        private List<String> autoSettings;
        private Instant notBefore;
        private JobProgress progress;
        private String lastCheckpoint;
        private String output;
        private JobFailure failure;
        private String resumedFrom;
        private CostEstimate estimate;
        private String queueReason;
        private Placement placement;
        private Map<String, String> tracking;
        private String submittedBy;

        private Builder() {
        }

        /** @param id unique id, {@code ftjob-} followed by a time-ordered suffix @return this builder */
        public Builder id(String id) {
            this.id = id;
            return this;
        }

        /** @param spec the spec as submitted, dataset paths made absolute @return this builder */
        public Builder spec(JobSpec spec) {
            this.spec = spec;
            return this;
        }

        /** @param status current status @return this builder */
        public Builder status(JobStatus status) {
            this.status = status;
            return this;
        }

        /**
         * @param cancelRequested whether someone asked to cancel it and the trainer has not stopped yet @return
         *     this builder
         */
        public Builder cancelRequested(boolean cancelRequested) {
            this.cancelRequested = cancelRequested;
            return this;
        }

        /**
         * @param pauseRequested whether someone asked to pause it and the trainer has not stopped yet @return this
         *     builder
         */
        public Builder pauseRequested(boolean pauseRequested) {
            this.pauseRequested = pauseRequested;
            return this;
        }

        /** @param runner name of the runner that runs it @return this builder */
        public Builder runner(String runner) {
            this.runner = runner;
            return this;
        }

        /** @param createdAt when it was submitted @return this builder */
        public Builder createdAt(Instant createdAt) {
            this.createdAt = createdAt;
            return this;
        }

        /** @param updatedAt when anything about it last changed @return this builder */
        public Builder updatedAt(Instant updatedAt) {
            this.updatedAt = updatedAt;
            return this;
        }

        /** @param startedAt when its trainer first started, or null @return this builder */
        public Builder startedAt(Instant startedAt) {
            this.startedAt = startedAt;
            return this;
        }

        /** @param finishedAt when it reached a final status, or null @return this builder */
        public Builder finishedAt(Instant finishedAt) {
            this.finishedAt = finishedAt;
            return this;
        }

        /** @param attempt how many times a trainer was started for it (resumes count) @return this builder */
        public Builder attempt(int attempt) {
            this.attempt = attempt;
            return this;
        }

        /** @param settings the settings the service chose for the spec @return this builder */
        public Builder autoSettings(List<String> settings) {
            this.autoSettings = settings;
            return this;
        }

        /** @param retries automatic retries so far @return this builder */
        public Builder retries(int retries) {
            this.retries = retries;
            return this;
        }

        /** @param notBefore the time before which a queued retry does not start, or null @return this builder */
        public Builder notBefore(Instant notBefore) {
            this.notBefore = notBefore;
            return this;
        }

        /** @param progress the latest figures the trainer reported @return this builder */
        public Builder progress(JobProgress progress) {
            this.progress = progress;
            return this;
        }

        /** @param lastCheckpoint path of the latest checkpoint the trainer wrote, or null @return this builder */
        public Builder lastCheckpoint(String lastCheckpoint) {
            this.lastCheckpoint = lastCheckpoint;
            return this;
        }

        /** @param output path of the final output folder once it succeeded, or null @return this builder */
        public Builder output(String output) {
            this.output = output;
            return this;
        }

        /** @param failure why it failed, or null @return this builder */
        public Builder failure(JobFailure failure) {
            this.failure = failure;
            return this;
        }

        /**
         * @param resumedFrom the id of the job whose checkpoint this one started from ({@link Jobs#resume}), or
         *     null @return this builder
         */
        public Builder resumedFrom(String resumedFrom) {
            this.resumedFrom = resumedFrom;
            return this;
        }

        /**
         * @param estimate what the job was estimated to cost when it was submitted, or null @return this builder
         */
        public Builder estimate(CostEstimate estimate) {
            this.estimate = estimate;
            return this;
        }

        /**
         * @param queueReason while queued, why it waits (for example "needs 2 x H100, 1 free; 3 jobs ahead in
         *     pro"), else null @return this builder
         */
        public Builder queueReason(String queueReason) {
            this.queueReason = queueReason;
            return this;
        }

        /**
         * @param placement while running (and after), the node and GPUs of its latest attempt, or null @return this
         *     builder
         */
        public Builder placement(Placement placement) {
            this.placement = placement;
            return this;
        }

        /**
         * @param tracking where the job is tracked, recorded by tracking sinks (for example {@code mlflow.run_id}
         *     and {@code mlflow.run_url}); empty when no sink tracks it @return this builder
         */
        public Builder tracking(Map<String, String> tracking) {
            this.tracking = tracking;
            return this;
        }

        /** @param submittedBy who submitted it, or null when unknown @return this builder */
        public Builder submittedBy(String submittedBy) {
            this.submittedBy = submittedBy;
            return this;
        }

        /** @return the job */
        public Job build() {
            return new Job(this);
        }
    }
}
