package dev.koder.training.spi;

import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * Merges a PEFT adapter into its base model and writes the whole model a serving runtime loads: safetensors
 * weights, config and tokenizer. A runner offers one through {@link TrainingRunner#merger()}; the registry uses it
 * for {@code Checkpoints.export(id, dir, true, ...)}.
 *
 * <p>An implementation checks its own work: after saving, it reloads the merged model and compares its outputs on a
 * probe input with the adapter model's, and fails when they differ by more than the saved precision allows.
 */
public interface AdapterMerger {

    /**
     * What a merge wrote and how close the merged model came to the adapter's outputs.
     *
     * @param base the base model the adapter was merged into, as loaded (a folder or a hub id)
     * @param dtype the precision the merged weights were saved in, for example {@code float32} or {@code bfloat16}
     * @param maxAbsDiff the largest absolute difference of the merged model's outputs (logits, or hidden states for
     *     an encoder) from the adapter model's on the probe input
     * @param tolerance the largest difference the check allowed
     * @param probeTokens how many tokens the probe input held
     */
    record Merged(String base, String dtype, double maxAbsDiff, double tolerance, int probeTokens) {
    }

    /**
     * Merges an adapter into its base and saves the result. Deterministic: the same adapter on the same base, with
     * the same library versions, gives the same bytes.
     *
     * @param baseModel the base model as the checkpoint's job named it (a folder or a hub id); a base that is
     *     itself an adapter folder (a continued fine-tune) is followed to its own base
     * @param adapter the adapter's folder (adapter_config.json and its weights; its tokenizer, if it has one, is the
     *     one saved)
     * @param output the folder to write the merged model into (created; must be empty)
     * @param work a scratch folder
     * @param lines receives every line the merge prints
     * @return what was merged, and the check of the merged outputs
     * @throws dev.koder.training.api.TrainerFailedException when the merge fails or the check finds the merged
     *     model's outputs too far from the adapter's
     */
    Merged merge(String baseModel, Path adapter, Path output, Path work, Consumer<String> lines);
}
