package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A registered checkpoint: what a job wrote at a step, its files in the blob store, where it came from, and
 * where it is in its lifecycle.
 *
 * @param id its id, {@code ckpt-...}
 * @param jobId the job that wrote it
 * @param tenant the job's tenant
 * @param baseModel the job's base model
 * @param method the job's method label, for example {@code sft+lora}
 * @param step the training step it was written at
 * @param last whether it is the job's final output rather than an intermediate checkpoint
 * @param metrics the job's figures at that step (loss, learning rate, evaluation metrics)
 * @param format adapter or whole model
 * @param artifact what inspecting its files found
 * @param files its files, with size and SHA-256
 * @param lineage what it was made from
 * @param stage where it is in its lifecycle
 * @param createdAt when it was registered
 * @param blobStore where its blobs are
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Checkpoint(
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

    /** Copies the collections so the record stays immutable. */
    public Checkpoint {
        metrics = metrics == null ? Map.of() : Map.copyOf(metrics);
        files = List.copyOf(files);
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
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Transition(@JsonProperty("checkpoint_id") String checkpointId,
            @JsonProperty("from") CheckpointStage from, @JsonProperty("to") CheckpointStage to,
            @JsonProperty("actor") String actor, @JsonProperty("time") Instant time,
            @JsonProperty("reason") String reason) {
    }
}
