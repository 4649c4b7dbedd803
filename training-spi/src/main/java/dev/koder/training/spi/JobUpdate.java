package dev.koder.training.spi;

import dev.koder.training.api.CostEstimate;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobFailure;
import dev.koder.training.api.JobProgress;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Placement;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A change to a stored job. Unset parts stay as they are. {@link #apply} holds the one definition of what
 * a change does (timestamps, the allowed status moves), so every {@link JobStore} behaves the same.
 */
public final class JobUpdate {

    private final JobStatus status;
    private final boolean requestCancel;
    private final boolean requestPause;
    private final String runner;
    private final Integer attempt;
    private final Integer retries;
    private final Instant notBefore;
    private final JobProgress progress;
    private final String lastCheckpoint;
    private final String output;
    private final JobFailure failure;
    private final String executor;
    private final String executionRef;
    private final boolean clearExecution;
    private final Long eventsOffset;
    private final CostEstimate estimate;
    private final String queueReason;
    private final Placement placement;
    private final Map<String, String> tracking;
    private final AttemptPhase phase;
    private final String launchToken;
    private final Instant launchedAt;
    private final JobSpec spec;
    private final List<String> autoSettings;

    private JobUpdate(Builder b) {
        this.status = b.status;
        this.requestCancel = b.requestCancel;
        this.requestPause = b.requestPause;
        this.runner = b.runner;
        this.attempt = b.attempt;
        this.retries = b.retries;
        this.notBefore = b.notBefore;
        this.progress = b.progress;
        this.lastCheckpoint = b.lastCheckpoint;
        this.output = b.output;
        this.failure = b.failure;
        this.executor = b.executor;
        this.executionRef = b.executionRef;
        this.clearExecution = b.clearExecution;
        this.eventsOffset = b.eventsOffset;
        this.estimate = b.estimate;
        this.queueReason = b.queueReason;
        this.placement = b.placement;
        this.tracking = b.tracking == null ? null : Map.copyOf(b.tracking);
        this.phase = b.phase;
        this.launchToken = b.launchToken;
        this.launchedAt = b.launchedAt;
        this.spec = b.spec;
        this.autoSettings = b.autoSettings == null ? null : List.copyOf(b.autoSettings);
    }

    /** @return a builder that changes nothing yet */
    public static Builder builder() {
        return new Builder();
    }

    /** @param status the new status @return a builder that moves the job to it */
    public static Builder to(JobStatus status) {
        return new Builder().status(status);
    }

    /** @return the new status, or null to keep it */
    public JobStatus status() {
        return status;
    }

    /** @return the attempt's new phase, or null to keep it (or to let a status move set it) */
    public AttemptPhase phase() {
        return phase;
    }

    /**
     * Applies this change.
     *
     * @param current the job as stored
     * @param now the store's clock
     * @return the changed job
     * @throws IllegalStateException when the status move is not allowed (see {@link JobStatus})
     */
    public JobRecord apply(JobRecord current, Instant now) {
        Job j = current.job();
        JobStatus next = j.status();
        if (status != null && status != j.status()) {
            if (!j.status().canBecome(status)) {
                throw new IllegalStateException("job " + j.id() + " cannot move from " + j.status().wireName()
                        + " to " + status.wireName());
            }
            next = status;
        }
        boolean moved = next != j.status();
        int cancels = current.cancelRequests() + (requestCancel ? 1 : 0);
        boolean cancel = cancels > 0 && !next.isTerminal();
        Instant startedAt = j.startedAt() == null && moved && next == JobStatus.RUNNING ? now : j.startedAt();
        Instant finishedAt = moved && next.isTerminal() ? now : j.finishedAt();
        // a pause request lasts while the trainer runs: it ends with the move the trainer's stop brings
        boolean pause = next == JobStatus.RUNNING && (requestPause || (!moved && j.pauseRequested()));
        Job changed = j.toBuilder()
                .status(next)
                .cancelRequested(cancel)
                .pauseRequested(pause)
                .runner(runner != null ? runner : j.runner())
                .updatedAt(now)
                .startedAt(startedAt)
                .finishedAt(finishedAt)
                .attempt(attempt != null ? attempt : j.attempt())
                .retries(retries != null ? retries : j.retries())
                .notBefore(next != JobStatus.QUEUED ? null : notBefore != null ? notBefore : j.notBefore())
                .progress(progress != null ? progress : j.progress())
                .lastCheckpoint(lastCheckpoint != null ? lastCheckpoint : j.lastCheckpoint())
                .output(output != null ? output : j.output())
                .failure(failure != null ? failure : j.failure())
                .estimate(estimate != null ? estimate : j.estimate())
                .queueReason(next != JobStatus.QUEUED ? null
                        : queueReason != null ? emptyToNull(queueReason) : j.queueReason())
                .placement(placement != null ? placement : j.placement())
                .tracking(tracking != null ? merged(j.tracking(), tracking) : j.tracking())
                .spec(spec != null ? spec : j.spec())
                .autoSettings(autoSettings != null ? autoSettings : j.autoSettings())
                .build();
        String exec = clearExecution ? null : executor != null ? executor : current.executor();
        String ref = clearExecution ? null : executionRef != null ? executionRef : current.executionRef();
        long offset = eventsOffset != null ? eventsOffset : current.eventsOffset();
        AttemptPhase nextPhase;
        String token = launchToken != null ? emptyToNull(launchToken) : current.launchToken();
        Instant launched = launchToken != null ? launchedAt : current.launchedAt();
        if (next != JobStatus.RUNNING) {
            // an attempt lasts while its job runs: whatever the move, it ends with it
            nextPhase = moved || current.phase() != null ? AttemptPhase.ENDED : null;
            token = null;
            launched = null;
        } else {
            AttemptPhase from = moved ? AttemptPhase.ENDED : current.phase();
            nextPhase = phase != null ? phase : moved ? AttemptPhase.PLANNED : current.phase();
            if (from != null && !from.canBecome(nextPhase)) {
                throw new IllegalStateException("the attempt of job " + j.id() + " cannot move from "
                        + from.wireName() + " to " + nextPhase.wireName());
            }
        }
        return new JobRecord(changed, exec, ref, offset, cancels, nextPhase, token, launched);
    }

    private static Map<String, String> merged(Map<String, String> old, Map<String, String> added) {
        Map<String, String> m = new TreeMap<>(old);
        m.putAll(added);
        return m;
    }

    private static String emptyToNull(String s) {
        return s.isEmpty() ? null : s;
    }

    /** Builder of {@link JobUpdate}. */
    public static final class Builder {
        private JobStatus status;
        private boolean requestCancel;
        private boolean requestPause;
        private String runner;
        private Integer attempt;
        private Integer retries;
        private Instant notBefore;
        private JobProgress progress;
        private String lastCheckpoint;
        private String output;
        private JobFailure failure;
        private String executor;
        private String executionRef;
        private boolean clearExecution;
        private Long eventsOffset;
        private CostEstimate estimate;
        private String queueReason;
        private Placement placement;
        private AttemptPhase phase;
        private String launchToken;
        private Instant launchedAt;
        private JobSpec spec;
        private List<String> autoSettings;
        private Map<String, String> tracking;

        private Builder() {
        }

        /** @param status new status @return this */
        public Builder status(JobStatus status) {
            this.status = status;
            return this;
        }

        /** @return this, counting one more request to cancel */
        public Builder requestCancel() {
            this.requestCancel = true;
            return this;
        }

        /** @param runner runner name @return this */
        /** Asks a running job to save a checkpoint and stop, to be resumed under its id; lasts until it stops. */
        public Builder requestPause() {
            this.requestPause = true;
            return this;
        }

        public Builder runner(String runner) {
            this.runner = runner;
            return this;
        }

        /** @param attempt attempt number @return this */
        public Builder attempt(int attempt) {
            this.attempt = attempt;
            return this;
        }

        /** @param retries automatic retries so far @return this */
        public Builder retries(int retries) {
            this.retries = retries;
            return this;
        }

        /**
         * @param notBefore while queued, the time before which the job does not start (a retry's backoff)
         * @return this
         */
        public Builder notBefore(Instant notBefore) {
            this.notBefore = notBefore;
            return this;
        }

        /** @param progress latest figures @return this */
        public Builder progress(JobProgress progress) {
            this.progress = progress;
            return this;
        }

        /** @param path latest checkpoint @return this */
        public Builder lastCheckpoint(String path) {
            this.lastCheckpoint = path;
            return this;
        }

        /** @param path final output folder @return this */
        public Builder output(String path) {
            this.output = path;
            return this;
        }

        /** @param failure why it failed @return this */
        public Builder failure(JobFailure failure) {
            this.failure = failure;
            return this;
        }

        /** @param executor executor name @param ref its reference to the trainer @return this */
        public Builder execution(String executor, String ref) {
            this.executor = executor;
            this.executionRef = ref;
            this.clearExecution = false;
            return this;
        }

        /** @return this, set to forget the trainer reference (the trainer is gone) */
        public Builder clearExecution() {
            this.clearExecution = true;
            this.executor = null;
            this.executionRef = null;
            return this;
        }

        /** @param offset bytes of the events file consumed @return this */
        public Builder eventsOffset(long offset) {
            this.eventsOffset = offset;
            return this;
        }

        /** @param estimate the job's cost estimate @return this */
        public Builder estimate(CostEstimate estimate) {
            this.estimate = estimate;
            return this;
        }

        /** @param reason why the queued job waits; empty clears it (it is cleared anyway when the job leaves the queue) @return this */
        public Builder queueReason(String reason) {
            this.queueReason = reason;
            return this;
        }

        /**
         * @param phase the attempt's new phase (checked against {@link AttemptPhase#canBecome})
         * @return this builder
         */
        public Builder phase(AttemptPhase phase) {
            this.phase = phase;
            return this;
        }

        /**
         * @param token the launch token of the attempt about to start
         * @param at when its launch began
         * @return this builder
         */
        public Builder launch(String token, Instant at) {
            this.launchToken = token;
            this.launchedAt = at;
            return this;
        }

        /**
         * @param spec the spec the next attempt runs with (a setting the service chose, changed for a retry)
         * @param autoSettings the settings the service may still choose
         * @return this builder
         */
        public Builder respec(JobSpec spec, List<String> autoSettings) {
            this.spec = spec;
            this.autoSettings = autoSettings;
            return this;
        }

        /** @param placement where the job's attempt runs @return this */
        public Builder placement(Placement placement) {
            this.placement = placement;
            return this;
        }

        /**
         * @param entries where the job is tracked (see {@link Job#tracking()}); added to what is there, replacing
         *     equal keys
         * @return this
         */
        public Builder tracking(Map<String, String> entries) {
            this.tracking = entries;
            return this;
        }

        /** @return the update */
        public JobUpdate build() {
            return new JobUpdate(this);
        }
    }
}
