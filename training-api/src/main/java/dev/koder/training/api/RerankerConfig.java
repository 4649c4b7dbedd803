package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Settings of a reranker job. Unset parts take their defaults when the {@link JobSpec} is built.
 *
 * @param loss the loss; default binary_cross_entropy for scored-pairs data and listnet for groups
 * @param mergedCopy also write the base with the LoRA adapter merged in, a whole model in the output's {@code merged}
 *     folder (registered with the adapter); only with adapter lora; default false
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RerankerConfig(@JsonProperty("loss") RerankerLoss loss, @JsonProperty("merged_copy") Boolean mergedCopy) {

    /** @param loss the loss @return the settings */
    public static RerankerConfig of(RerankerLoss loss) {
        return new RerankerConfig(loss, null);
    }

    /** @param on write a merged copy of a LoRA job's output too @return a copy with it */
    public RerankerConfig withMergedCopy(boolean on) {
        return new RerankerConfig(loss, on);
    }

    /** The loss follows the data when unset: listwise for groups, pointwise for scored pairs. */
    RerankerConfig resolved(DatasetFormat format) {
        RerankerLoss l = loss != null ? loss
                : format == DatasetFormat.GROUPS ? RerankerLoss.LISTNET : RerankerLoss.BINARY_CROSS_ENTROPY;
        return new RerankerConfig(l, mergedCopy == null ? Boolean.FALSE : mergedCopy);
    }
}
