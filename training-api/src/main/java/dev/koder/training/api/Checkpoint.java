package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A registered checkpoint: what a job wrote at a step, its files in the blob store, where it came from, and
 * where it is in its lifecycle.
 *
 * <p>Built with {@link #builder()}; {@link #toBuilder()} copies one to change some of its fields. New fields
 * may be added in later versions without breaking callers.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public final class Checkpoint {
    private final String id;
    private final String jobId;
    private final String tenant;
    private final String baseModel;
    private final String method;
    private final long step;
    private final boolean last;
    private final Map<String, Double> metrics;
    private final CheckpointFormat format;
    private final Artifact artifact;
    private final List<File> files;
    private final Lineage lineage;
    private final CheckpointStage stage;
    private final Instant createdAt;
    private final String blobStore;

    private Checkpoint(Builder b) {
        id = b.id;
        jobId = b.jobId;
        tenant = b.tenant;
        baseModel = b.baseModel;
        method = b.method;
        step = b.step;
        last = b.last;
        metrics = b.metrics == null ? Map.of() : Map.copyOf(b.metrics);
        format = b.format;
        artifact = b.artifact;
        files = b.files == null ? List.of() : List.copyOf(b.files);
        lineage = b.lineage;
        stage = b.stage;
        createdAt = b.createdAt;
        blobStore = b.blobStore;
    }

    /** @return a builder with every field unset */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder holding this one's fields */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.id = id;
        b.jobId = jobId;
        b.tenant = tenant;
        b.baseModel = baseModel;
        b.method = method;
        b.step = step;
        b.last = last;
        b.metrics = metrics;
        b.format = format;
        b.artifact = artifact;
        b.files = files;
        b.lineage = lineage;
        b.stage = stage;
        b.createdAt = createdAt;
        b.blobStore = blobStore;
        return b;
    }

    /** How Jackson reads one; code builds them with {@link #builder()}. */
    @JsonCreator
    private static Checkpoint fromJson(
            @JsonProperty("id") String id,
            @JsonProperty("job_id") String jobId,
            @JsonProperty("tenant") String tenant,
            @JsonProperty("base_model") String baseModel,
            @JsonProperty("method") String method,
            @JsonProperty("step") long step,
            @JsonProperty("final") boolean last,
            @JsonProperty("metrics") Map<String, Double> metrics,
            @JsonProperty("format") CheckpointFormat format,
            @JsonProperty("artifact") Artifact artifact,
            @JsonProperty("files") List<File> files,
            @JsonProperty("lineage") Lineage lineage,
            @JsonProperty("stage") CheckpointStage stage,
            @JsonProperty("created_at") Instant createdAt,
            @JsonProperty("blob_store") String blobStore) {
        return builder()
                .id(id)
                .jobId(jobId)
                .tenant(tenant)
                .baseModel(baseModel)
                .method(method)
                .step(step)
                .last(last)
                .metrics(metrics)
                .format(format)
                .artifact(artifact)
                .files(files)
                .lineage(lineage)
                .stage(stage)
                .createdAt(createdAt)
                .blobStore(blobStore)
                .build();
    }

    /** @return its id, {@code ckpt-...} */
    @JsonProperty("id")
    public String id() {
        return id;
    }

    /** @return the job that wrote it */
    @JsonProperty("job_id")
    public String jobId() {
        return jobId;
    }

    /** @return the job's tenant */
    @JsonProperty("tenant")
    public String tenant() {
        return tenant;
    }

    /** @return the job's base model */
    @JsonProperty("base_model")
    public String baseModel() {
        return baseModel;
    }

    /** @return the job's method label, for example {@code sft+lora} */
    @JsonProperty("method")
    public String method() {
        return method;
    }

    /** @return the training step it was written at */
    @JsonProperty("step")
    public long step() {
        return step;
    }

    /** @return whether it is the job's final output rather than an intermediate checkpoint */
    @JsonProperty("final")
    public boolean last() {
        return last;
    }

    /** @return the job's figures at that step (loss, learning rate, evaluation metrics) */
    @JsonProperty("metrics")
    public Map<String, Double> metrics() {
        return metrics;
    }

    /** @return adapter or whole model */
    @JsonProperty("format")
    public CheckpointFormat format() {
        return format;
    }

    /** @return what inspecting its files found */
    @JsonProperty("artifact")
    public Artifact artifact() {
        return artifact;
    }

    /** @return its files, with size and SHA-256 */
    @JsonProperty("files")
    public List<File> files() {
        return files;
    }

    /** @return what it was made from */
    @JsonProperty("lineage")
    public Lineage lineage() {
        return lineage;
    }

    /** @return where it is in its lifecycle */
    @JsonProperty("stage")
    public CheckpointStage stage() {
        return stage;
    }

    /** @return when it was registered */
    @JsonProperty("created_at")
    public Instant createdAt() {
        return createdAt;
    }

    /** @return where its blobs are */
    @JsonProperty("blob_store")
    public String blobStore() {
        return blobStore;
    }

    /** @return the bytes of all its files */
    public long size() {
        return files.stream().mapToLong(File::size).sum();
    }

    /**
     * One file of a checkpoint.
     *
     * @param path its path inside the checkpoint folder, with {@code /}
     * @param size bytes
     * @param sha256 SHA-256, lowercase hex (also its blob's key)
     */
    public record File(@JsonProperty("path") String path, @JsonProperty("size") long size,
            @JsonProperty("sha256") String sha256) {
    }

    /**
     * What the checkpoint was made from.
     *
     * @param specHash SHA-256 of the job's spec as JSON
     * @param datasets SHA-256 of each dataset file, by path
     * @param baseModelRevision the base model's revision: the Hugging Face snapshot's commit, or the SHA-256
     *     of a local folder's config.json; null when unknown
     * @param parent the checkpoint it continues from (a resumed job's, or the checkpoint its job started
     *     from), or null
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Lineage(@JsonProperty("spec_sha256") String specHash,
            @JsonProperty("datasets") Map<String, String> datasets,
            @JsonProperty("base_model_revision") String baseModelRevision,
            @JsonProperty("parent") String parent) {

        /** Copies the map so the record stays immutable. */
        public Lineage {
            datasets = datasets == null ? Map.of() : Map.copyOf(datasets);
        }
    }

    /**
     * What inspecting the files found.
     *
     * @param tensors tensors in its safetensors files
     * @param tensorBytes bytes of those tensors
     * @param peftType the adapter's type ({@code LORA}), or null for a whole model
     * @param rank the LoRA rank, or null
     * @param alpha the LoRA alpha, or null
     * @param targetModules the modules the adapter applies to, or null
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Artifact(@JsonProperty("tensors") long tensors, @JsonProperty("tensor_bytes") long tensorBytes,
            @JsonProperty("peft_type") String peftType, @JsonProperty("rank") Integer rank,
            @JsonProperty("alpha") Double alpha, @JsonProperty("target_modules") List<String> targetModules) {
    }

    /**
     * One move of a checkpoint's stage.
     *
     * @param checkpointId the checkpoint
     * @param from the stage before (null for its registration)
     * @param to the stage after
     * @param actor who moved it
     * @param time when
     * @param reason why
     * @param gate the approval gate's rules as checked for an approval, or null when no gate was checked
     * @param override whether an admin approved it although the gate refused
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Transition(@JsonProperty("checkpoint_id") String checkpointId,
            @JsonProperty("from") CheckpointStage from, @JsonProperty("to") CheckpointStage to,
            @JsonProperty("actor") String actor, @JsonProperty("time") Instant time,
            @JsonProperty("reason") String reason, @JsonProperty("gate") List<ApprovalVerdict.Rule> gate,
            @JsonProperty("override") boolean override) {

        /** Copies the list so the record stays immutable. */
        public Transition {
            gate = gate == null ? null : List.copyOf(gate);
        }

        /**
         * A move without a gate: a registration or a deprecation.
         *
         * @param checkpointId the checkpoint
         * @param from the stage before (null for its registration)
         * @param to the stage after
         * @param actor who moved it
         * @param time when
         * @param reason why
         */
        public Transition(String checkpointId, CheckpointStage from, CheckpointStage to, String actor, Instant time,
                String reason) {
            this(checkpointId, from, to, actor, time, reason, null, false);
        }
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Checkpoint)) {
            return false;
        }
        Checkpoint other = (Checkpoint) o;
        return Objects.equals(id, other.id) && Objects.equals(jobId, other.jobId)
                && Objects.equals(tenant, other.tenant) && Objects.equals(baseModel, other.baseModel)
                && Objects.equals(method, other.method) && step == other.step && last == other.last
                && Objects.equals(metrics, other.metrics) && Objects.equals(format, other.format)
                && Objects.equals(artifact, other.artifact) && Objects.equals(files, other.files)
                && Objects.equals(lineage, other.lineage) && Objects.equals(stage, other.stage)
                && Objects.equals(createdAt, other.createdAt) && Objects.equals(blobStore, other.blobStore);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, jobId, tenant, baseModel, method, step, last, metrics, format, artifact, files,
                lineage, stage, createdAt, blobStore);
    }

    @Override
    public String toString() {
        return "Checkpoint[id=" + id + ", ...]";
    }

    /** Builds a {@link Checkpoint}; every field starts unset (null, 0 or false). */
    public static final class Builder {
        private String id;
        private String jobId;
        private String tenant;
        private String baseModel;
        private String method;
        private long step;
        private boolean last;
        private Map<String, Double> metrics;
        private CheckpointFormat format;
        private Artifact artifact;
        private List<File> files;
        private Lineage lineage;
        private CheckpointStage stage;
        private Instant createdAt;
        private String blobStore;

        private Builder() {
        }

        /** @param id its id, {@code ckpt-...} @return this builder */
        public Builder id(String id) {
            this.id = id;
            return this;
        }

        /** @param jobId the job that wrote it @return this builder */
        public Builder jobId(String jobId) {
            this.jobId = jobId;
            return this;
        }

        /** @param tenant the job's tenant @return this builder */
        public Builder tenant(String tenant) {
            this.tenant = tenant;
            return this;
        }

        /** @param baseModel the job's base model @return this builder */
        public Builder baseModel(String baseModel) {
            this.baseModel = baseModel;
            return this;
        }

        /** @param method the job's method label, for example {@code sft+lora} @return this builder */
        public Builder method(String method) {
            this.method = method;
            return this;
        }

        /** @param step the training step it was written at @return this builder */
        public Builder step(long step) {
            this.step = step;
            return this;
        }

        /**
         * @param last whether it is the job's final output rather than an intermediate checkpoint @return this
         *     builder
         */
        public Builder last(boolean last) {
            this.last = last;
            return this;
        }

        /**
         * @param metrics the job's figures at that step (loss, learning rate, evaluation metrics) @return this
         *     builder
         */
        public Builder metrics(Map<String, Double> metrics) {
            this.metrics = metrics;
            return this;
        }

        /** @param format adapter or whole model @return this builder */
        public Builder format(CheckpointFormat format) {
            this.format = format;
            return this;
        }

        /** @param artifact what inspecting its files found @return this builder */
        public Builder artifact(Artifact artifact) {
            this.artifact = artifact;
            return this;
        }

        /** @param files its files, with size and SHA-256 @return this builder */
        public Builder files(List<File> files) {
            this.files = files;
            return this;
        }

        /** @param lineage what it was made from @return this builder */
        public Builder lineage(Lineage lineage) {
            this.lineage = lineage;
            return this;
        }

        /** @param stage where it is in its lifecycle @return this builder */
        public Builder stage(CheckpointStage stage) {
            this.stage = stage;
            return this;
        }

        /** @param createdAt when it was registered @return this builder */
        public Builder createdAt(Instant createdAt) {
            this.createdAt = createdAt;
            return this;
        }

        /** @param blobStore where its blobs are @return this builder */
        public Builder blobStore(String blobStore) {
            this.blobStore = blobStore;
            return this;
        }

        /** @return the checkpoint */
        public Checkpoint build() {
            return new Checkpoint(this);
        }
    }
}
