package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * What {@link Checkpoints#export} wrote: a folder a serving runtime loads, with a model card ({@code README.md})
 * and a manifest ({@value #MANIFEST}) that records every other file's size and SHA-256.
 *
 * @param checkpointId the checkpoint exported
 * @param dir the folder, absolute
 * @param merged whether the folder holds the base model with the adapter merged in (a whole model), rather than
 *     the adapter as PEFT files; a checkpoint that is a whole model already is exported as it is, not merged
 * @param files every file in the folder but the manifest, sorted by path, with size and SHA-256
 * @param manifestSha256 the manifest's own SHA-256: two exports with the same value wrote the same bytes
 * @param merge the check of the merged weights, or null when nothing was merged
 * @param exportedAt when the export was written (not in the folder: the same checkpoint exports to the same bytes)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CheckpointExport(@JsonProperty("checkpoint_id") String checkpointId, @JsonProperty("dir") String dir,
        @JsonProperty("merged") boolean merged, @JsonProperty("files") List<Checkpoint.File> files,
        @JsonProperty("manifest_sha256") String manifestSha256, @JsonProperty("merge") MergeCheck merge,
        @JsonProperty("exported_at") java.time.Instant exportedAt) {

    /** The manifest's file name inside an export. */
    public static final String MANIFEST = "training-export.json";
    /** The model card's file name inside an export. */
    public static final String CARD = "README.md";

    /** Copies the list so the record stays immutable. */
    public CheckpointExport {
        files = files == null ? List.of() : List.copyOf(files);
    }

    /** @return the bytes of every file but the manifest */
    public long size() {
        return files.stream().mapToLong(Checkpoint.File::size).sum();
    }

    /**
     * How the merged model's outputs compared with the adapter model's on a probe input, after the merged model was
     * saved and loaded back.
     *
     * @param base the base model the adapter was merged into
     * @param dtype the precision the merged weights were saved in
     * @param maxAbsDiff the largest absolute difference of the outputs (logits)
     * @param tolerance the largest difference allowed for that precision
     * @param probeTokens the probe input's length in tokens
     */
    public record MergeCheck(@JsonProperty("base") String base, @JsonProperty("dtype") String dtype,
            @JsonProperty("max_abs_diff") double maxAbsDiff, @JsonProperty("tolerance") double tolerance,
            @JsonProperty("probe_tokens") int probeTokens) {
    }
}
