package dev.koder.training.sentencetransformers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.AdapterType;
import dev.koder.training.api.CheckpointPolicy;
import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.EmbeddingConfig;
import dev.koder.training.api.EmbeddingLoss;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.RerankerConfig;
import dev.koder.training.api.RerankerLoss;
import dev.koder.training.api.TrainingMethod;
import dev.koder.training.spi.LaunchPlan;
import dev.koder.training.spi.RunContext;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * From a JobSpec to what sentence-transformers trains with: the runner prepares each spec as it would for a job, and
 * the trainer's own functions build the loss, the training columns, the LoRA settings and the trainer arguments from
 * the argument file it wrote (mapping_probe.py), without training.
 */
class ArgumentMappingTest {

    @TempDir
    Path dir;

    Path prepared(JobSpec spec, String name) throws IOException {
        Path work = dir.resolve(name);
        Files.createDirectories(work.resolve("output"));
        LaunchPlan plan = TinyEncoders.get().runner.prepare(spec, new RunContext("ftjob-" + name, 1, work,
                work.resolve("events.jsonl"), work.resolve("output"), work.resolve("stdout.log"),
                work.resolve("stderr.log"), Optional.empty(), List.of(), m -> { }));
        assertThat(plan.command()).as("no spec value on the command line").noneMatch(a -> a.contains("tiny-bert"));
        return work.resolve("trainer-args-1.json");
    }

    List<Map<String, Object>> probe(Path... argFiles) throws Exception {
        TinyEncoders w = TinyEncoders.get();
        Path staged = w.runner.python().stage(dir.resolve("python"));
        Path probe = staged.resolve("mapping_probe.py");
        try (InputStream in = getClass().getResourceAsStream("mapping_probe.py")) {
            Files.copy(in, probe);
        }
        Path out = dir.resolve("probe.json");
        List<String> command = new ArrayList<>(List.of(w.runner.python().environment(m -> { }).python().toString(),
                probe.toString(), out.toString()));
        for (Path p : argFiles) {
            command.add(p.toString());
        }
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().put("PYTHONPATH", staged.toString());
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
        return JsonMapper.builder().build().readValue(Files.readString(out), new TypeReference<>() { });
    }

    @Test
    void embedding_cachedLossWithMatryoshka_hardNegatives_andEvaluationAtEverySave() throws Exception {
        TinyEncoders w = TinyEncoders.get();
        Path pairs = dir.resolve("pairs.jsonl");
        Files.writeString(pairs, String.join("\n",
                "{\"anchor\": \"kaso\", \"positive\": \"a note about kalomi\", \"negatives\": [\"a note about rutena\", "
                        + "\"a note about visope\"]}",
                "{\"anchor\": \"miru\", \"positive\": \"a note about dugeha\", \"negatives\": [\"a note about kalomi\"]}",
                ""));
        JobSpec.Builder b = w.embedding(1);
        JobSpec spec = b.method(b.build().method().withEmbedding(EmbeddingConfig.of(
                        EmbeddingLoss.CACHED_MULTIPLE_NEGATIVES_RANKING).withMiniBatchSize(8)
                        .withMatryoshkaDims(List.of(64, 32))))
                .trainingData(DatasetRef.of(pairs, DatasetFormat.PAIRS)).checkpoints(CheckpointPolicy.everySteps(5, 2))
                .build();
        Map<String, Object> found = probe(prepared(spec, "embedding")).get(0);
        assertThat(found).containsEntry("loss", "MatryoshkaLoss")
                .containsEntry("inner_loss", "CachedMultipleNegativesRankingLoss")
                .containsEntry("matryoshka_dims", List.of(64, 32)).containsEntry("mini_batch_size", 8)
                .containsEntry("columns", List.of("anchor", "positive", "negative_1"));
        assertThat((List<?>) found.get("warnings")).singleElement().asString()
                .startsWith("1 hard negatives were left out");
        assertThat((Map<String, Object>) found.get("lora")).containsEntry("task_type", "FEATURE_EXTRACTION")
                .containsEntry("r", 16).containsEntry("alpha", 32).containsEntry("target_modules",
                        List.of("dense", "key", "query", "value", "word_embeddings"));
        @SuppressWarnings("unchecked")
        Map<String, Object> arguments = (Map<String, Object>) found.get("arguments");
        assertThat(arguments).doesNotContainKeys("max_length", "include_num_input_tokens_seen")
                .containsEntry("eval_strategy", "steps").containsEntry("eval_steps", 5)
                .containsEntry("save_strategy", "steps").containsEntry("save_steps", 5)
                .containsEntry("learning_rate", 3e-3).containsEntry("per_device_train_batch_size", 32);
    }

    @Test
    void reranker_listwiseOnGroups_bceOnFlattenedGroups_lambda_andALoraScoreHeadTrainedInFull() throws Exception {
        TinyEncoders w = TinyEncoders.get();
        JobSpec listnetLora = w.reranker(1).method(TrainingMethod.reranker(AdapterType.LORA)).build();
        JobSpec bce = w.reranker(1).method(TrainingMethod.reranker(AdapterType.FULL, RerankerConfig.of(
                RerankerLoss.BINARY_CROSS_ENTROPY))).build();
        JobSpec lambda = w.reranker(1).method(TrainingMethod.reranker(AdapterType.FULL, RerankerConfig.of(
                RerankerLoss.LAMBDA))).build();
        JobSpec scored = w.reranker(1).trainingData(DatasetRef.of(w.rerankerTask.scoredPairs(),
                DatasetFormat.SCORED_PAIRS)).build();
        List<Map<String, Object>> found = probe(prepared(listnetLora, "listnet"), prepared(bce, "bce"),
                prepared(lambda, "lambda"), prepared(scored, "scored"));
        assertThat(found.get(0)).containsEntry("loss", "ListNetLoss")
                .containsEntry("columns", List.of("query", "documents", "labels"));
        assertThat((Map<String, Object>) found.get(0).get("lora")).containsEntry("task_type", "SEQ_CLS")
                .containsEntry("modules_to_save", List.of("classifier")).containsEntry("target_modules",
                        "all-linear");
        assertThat(found.get(1)).containsEntry("loss", "BinaryCrossEntropyLoss")
                .containsEntry("columns", List.of("query", "document", "label"));
        assertThat(found.get(2)).containsEntry("loss", "LambdaLoss");
        assertThat(found.get(3)).containsEntry("loss", "BinaryCrossEntropyLoss")
                .containsEntry("columns", List.of("query", "document", "label"));
        @SuppressWarnings("unchecked")
        Map<String, Object> arguments = (Map<String, Object>) found.get(1).get("arguments");
        assertThat(arguments).containsEntry("eval_strategy", "epoch").containsEntry("save_strategy", "epoch")
                .containsEntry("num_train_epochs", 1);
    }
}
