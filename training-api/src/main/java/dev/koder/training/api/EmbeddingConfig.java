package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * Settings of an embedding job. Unset parts take their defaults when the {@link JobSpec} is built.
 *
 * @param loss the contrastive loss; default multiple_negatives_ranking
 * @param miniBatchSize examples embedded at once by the cached loss, 1-4096; only with
 *     cached_multiple_negatives_ranking (default 32 there)
 * @param matryoshkaDims optional embedding sizes, largest first, each trained to work alone when the embedding
 *     is cut to it (Matryoshka representation learning); at most 8, each 8-16384
 * @param mergedCopy also write the base with the LoRA adapter merged in, a whole model in the output's {@code merged}
 *     folder (registered with the adapter); only with adapter lora; default false
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record EmbeddingConfig(
        @JsonProperty("loss") EmbeddingLoss loss,
        @JsonProperty("mini_batch_size") Integer miniBatchSize,
        @JsonProperty("matryoshka_dims") List<Integer> matryoshkaDims,
        @JsonProperty("merged_copy") Boolean mergedCopy) {

    /** Most Matryoshka dimensions. */
    public static final int MAX_MATRYOSHKA_DIMS = 8;
    /** Default mini-batch of the cached loss. */
    public static final int DEFAULT_MINI_BATCH = 32;

    /** Copies the list so the record stays immutable. */
    public EmbeddingConfig {
        matryoshkaDims = matryoshkaDims == null ? null : java.util.Collections.unmodifiableList(
                new java.util.ArrayList<>(matryoshkaDims));
    }

    /** @return multiple negatives ranking, no Matryoshka dimensions, no merged copy */
    public static EmbeddingConfig defaults() {
        return new EmbeddingConfig(null, null, null, null).resolved();
    }

    /** @param loss the loss @return the settings with this loss and defaults otherwise */
    public static EmbeddingConfig of(EmbeddingLoss loss) {
        return new EmbeddingConfig(loss, null, null, null);
    }

    /** @param dims embedding sizes, largest first @return a copy training these Matryoshka dimensions */
    public EmbeddingConfig withMatryoshkaDims(List<Integer> dims) {
        return new EmbeddingConfig(loss, miniBatchSize, dims, mergedCopy);
    }

    /** @param size examples embedded at once by the cached loss @return a copy with it */
    public EmbeddingConfig withMiniBatchSize(int size) {
        return new EmbeddingConfig(loss, size, matryoshkaDims, mergedCopy);
    }

    /** @param on write a merged copy of a LoRA job's output too @return a copy with it */
    public EmbeddingConfig withMergedCopy(boolean on) {
        return new EmbeddingConfig(loss, miniBatchSize, matryoshkaDims, on);
    }

    EmbeddingConfig resolved() {
        EmbeddingLoss l = loss == null ? EmbeddingLoss.MULTIPLE_NEGATIVES_RANKING : loss;
        Integer mini = l == EmbeddingLoss.CACHED_MULTIPLE_NEGATIVES_RANKING && miniBatchSize == null
                ? Integer.valueOf(DEFAULT_MINI_BATCH) : miniBatchSize;
        return new EmbeddingConfig(l, mini, matryoshkaDims == null ? List.of() : matryoshkaDims,
                mergedCopy == null ? Boolean.FALSE : mergedCopy);
    }

    void check(Checks c, String at, AdapterType adapter) {
        c.between(Checks.at(at, "mini_batch_size"), miniBatchSize, 1, 4_096);
        if (miniBatchSize != null && loss != EmbeddingLoss.CACHED_MULTIPLE_NEGATIVES_RANKING) {
            c.add(Checks.at(at, "mini_batch_size"), "only applies to loss cached_multiple_negatives_ranking, got "
                    + (loss == null ? "the default multiple_negatives_ranking" : loss.wireName()));
        }
        if (matryoshkaDims != null) {
            String dims = Checks.at(at, "matryoshka_dims");
            if (matryoshkaDims.size() > MAX_MATRYOSHKA_DIMS) {
                c.add(dims, "must hold at most " + MAX_MATRYOSHKA_DIMS + " sizes, got " + matryoshkaDims.size());
            }
            for (int i = 0; i < matryoshkaDims.size(); i++) {
                Integer d = matryoshkaDims.get(i);
                if (c.required(dims + "/" + i, d)) {
                    c.between(dims + "/" + i, d, 8, 16_384);
                    if (i > 0 && matryoshkaDims.get(i - 1) != null && d >= matryoshkaDims.get(i - 1)) {
                        c.add(dims + "/" + i, "sizes go from the largest down, each smaller than the one before: "
                                + matryoshkaDims.get(i - 1) + " then " + d);
                    }
                }
            }
        }
        TrainingMethod.checkMergedCopy(c, at, mergedCopy, adapter);
    }
}
