package dev.koder.training.sentencetransformers;

import dev.koder.training.api.AdapterType;
import dev.koder.training.api.CheckpointPolicy;
import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.Hyperparameters;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.LoraConfig;
import dev.koder.training.api.Resources;
import dev.koder.training.api.RetrievalData;
import dev.koder.training.api.TrainingMethod;
import dev.koder.training.spi.PluginConfig;
import dev.koder.training.tck.ScratchDir;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What the runner's tests share, made once per JVM: the runner (its managed Python environment, created on first
 * use in the per-user cache), and two tiny random-initialised encoders with their synthetic tasks: one whose
 * documents are in their own words (for embeddings, which must learn which query word goes with which document
 * word) and one whose documents are in the queries' words (for rerankers, which learn to match in seconds).
 */
final class TinyEncoders {

    private static TinyEncoders instance;

    final Path dir;
    final SentenceTransformersRunner runner;
    final EncoderTools tools;
    final Path embeddingModel;
    final EncoderTools.Task embeddingTask;
    final Path rerankerModel;
    final EncoderTools.Task rerankerTask;

    private TinyEncoders() throws IOException {
        dir = ScratchDir.create("tiny-encoders");
        runner = new SentenceTransformersRunner(new PluginConfig(dir, Map.of()));
        runner.python().environment(line -> System.out.println("[python] " + line));
        tools = new EncoderTools(runner);
        embeddingModel = dir.resolve("tiny-bert");
        embeddingTask = tools.tinyEncoder(embeddingModel, dir.resolve("task"), EncoderTools.Words.DOCUMENT, 64,
                dir.resolve("work"), line -> { });
        rerankerModel = dir.resolve("tiny-bert-matching");
        rerankerTask = tools.tinyEncoder(rerankerModel, dir.resolve("task-matching"), EncoderTools.Words.QUERY, 64,
                dir.resolve("work"), line -> { });
    }

    static synchronized TinyEncoders get() {
        if (instance == null) {
            try {
                instance = new TinyEncoders();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return instance;
    }

    /**
     * An embedding LoRA job that learns the task in seconds: the adapter also trains the word embeddings (an
     * untrained model's words are all the knowledge there is to adapt), at a learning rate for a model this small.
     */
    JobSpec.Builder embedding(int epochs) {
        LoraConfig lora = LoraConfig.builder().rank(16).alpha(32).dropout(0.0)
                .targetModules(List.of("query", "key", "value", "dense", "word_embeddings")).build();
        return JobSpec.builder().name("tiny-embedding").tenant("tests").baseModel(embeddingModel.toString())
                .method(TrainingMethod.embeddingLora().withLora(lora))
                .hyperparameters(Hyperparameters.builder().epochs(epochs).learningRate(3e-3).microBatchSize(32)
                        .maxSeqLength(32).gradientCheckpointing(false).warmupRatio(0.05).build())
                .trainingData(DatasetRef.of(embeddingTask.pairs(), DatasetFormat.PAIRS))
                .retrievalData(RetrievalData.folder(embeddingTask.retrieval()))
                .checkpoints(CheckpointPolicy.perEpoch(2)).resources(Resources.cpu());
    }

    /** A full reranker job with the listwise loss on groups. */
    JobSpec.Builder reranker(int epochs) {
        return JobSpec.builder().name("tiny-reranker").tenant("tests").baseModel(rerankerModel.toString())
                .method(TrainingMethod.reranker(AdapterType.FULL))
                .hyperparameters(Hyperparameters.builder().epochs(epochs).learningRate(1e-3).microBatchSize(16)
                        .maxSeqLength(48).gradientCheckpointing(false).warmupRatio(0.05).build())
                .trainingData(DatasetRef.of(rerankerTask.groups(), DatasetFormat.GROUPS))
                .retrievalData(RetrievalData.folder(rerankerTask.retrieval()))
                .checkpoints(CheckpointPolicy.perEpoch(2)).resources(Resources.cpu());
    }
}
