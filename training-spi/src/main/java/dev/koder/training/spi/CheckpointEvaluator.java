package dev.koder.training.spi;

import dev.koder.training.api.DatasetFormat;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Scores a checkpoint and its base model on held-out data, for {@code Checkpoints.evaluate}. A runner offers one
 * through {@link TrainingRunner#evaluator()}; the registry asks the runner that trained the checkpoint first, then
 * the others, for one that {@link #supports} the data's format. The figures are named as in
 * {@link dev.koder.training.api.Evaluation}.
 */
public interface CheckpointEvaluator {

    /**
     * What to score.
     *
     * @param baseModel the base model as the checkpoint's job named it (a folder or a hub id; a base that is itself
     *     an adapter folder is followed to its own base)
     * @param checkpoint the checkpoint's files: a PEFT adapter or a whole model
     * @param data the held-out data
     * @param format its format
     * @param maxSeqLength tokens an example is cut to, as the job trained
     * @param beta DPO's beta, for the reward figures of preference data
     */
    record Request(String baseModel, Path checkpoint, Path data, DatasetFormat format, int maxSeqLength,
            double beta) {
    }

    /**
     * The figures.
     *
     * @param metrics the checkpoint's
     * @param baseMetrics the base model's, on the same examples
     * @param examples how many examples were scored
     * @param device where it ran
     */
    record Result(Map<String, Double> metrics, Map<String, Double> baseMetrics, long examples, String device) {
    }

    /** @param format a data format @return whether this evaluator scores data of it */
    boolean supports(DatasetFormat format);

    /**
     * Scores the checkpoint and its base.
     *
     * @param request what to score
     * @param work a scratch folder
     * @param lines receives every line it prints (progress)
     * @return the figures
     * @throws dev.koder.training.api.TrainerFailedException when it fails, with its cause and last lines
     */
    Result evaluate(Request request, Path work, Consumer<String> lines);
}
