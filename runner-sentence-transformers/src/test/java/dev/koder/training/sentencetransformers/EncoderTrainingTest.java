package dev.koder.training.sentencetransformers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.CheckpointFormat;
import dev.koder.training.api.CheckpointQuery;
import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.JobStatus;
import dev.koder.training.core.Training;
import dev.koder.training.mlflow.FakeMlflowServer;
import dev.koder.training.tck.Samples;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real sentence-transformers training on a CPU, through the service, tracked in the MLflow stand-in and filed in
 * the registry: the held-out retrieval figures rise by a stated margin over the base model's, and the registered
 * output loads back with sentence-transformers and scores what the job reported.
 */
class EncoderTrainingTest {

    static final Duration WAIT = Duration.ofMinutes(5);

    @TempDir
    Path dir;

    FakeMlflowServer mlflow;

    @BeforeEach
    void startMlflow() throws IOException {
        mlflow = new FakeMlflowServer();
    }

    @AfterEach
    void stopMlflow() {
        mlflow.close();
    }

    Training service(TinyEncoders w) {
        return Training.builder().home(dir.resolve("home")).runner(w.runner).pollInterval(Duration.ofMillis(100))
                .property("training.mlflow.uri", mlflow.uri()).property("training.mlflow.flush-ms", "200").build();
    }

    /** Runs the job to success and returns it, its registered output, and the figures of the last evaluation. */
    record Done(Job job, Checkpoint output, Map<String, Double> metrics) {
    }

    Done run(Training t, JobSpec spec) throws Exception {
        Job job = t.jobs().await(t.jobs().submit(spec).id(), WAIT);
        assertThat(job.status()).as("%s: %s", job.status(), job.failure()).isEqualTo(JobStatus.SUCCEEDED);
        System.out.println(spec.name() + " " + spec.method().label() + ": " + new java.util.TreeMap<>(
                job.progress().evalMetrics()));
        Checkpoint output = t.checkpoints().list(CheckpointQuery.builder().jobId(job.id()).limit(20).build()).items()
                .stream().filter(Checkpoint::last).findFirst().orElseThrow();
        return new Done(job, output, job.progress().evalMetrics());
    }

    static void awaitTracked(FakeMlflowServer mlflow, String jobId) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!mlflow.runOfJob(jobId).map(r -> r.status.equals("FINISHED")).orElse(false)) {
            assertThat(System.nanoTime()).as("the MLflow run of %s finishes", jobId).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    @Test
    void embeddingLora_liftsHeldOutNdcgAt10ByHalf_isTrackedAndRegistered_andTheAdapterReproducesIt()
            throws Exception {
        TinyEncoders w = TinyEncoders.get();
        try (Training t = service(w)) {
            JobSpec.Builder spec = w.embedding(8);
            Done done = run(t, spec.method(spec.build().method().withEmbedding(dev.koder.training.api.EmbeddingConfig
                    .defaults().withMergedCopy(true))).build());
            Map<String, Double> m = done.metrics();
            // The base model ranks 300 documents at random (NDCG@10 about 0.02); the fine-tune finds most held-out
            // queries' document in its first ten.
            assertThat(m.get("base_eval_ndcg_at_10")).isLessThan(0.15);
            assertThat(m.get("eval_ndcg_at_10")).isGreaterThan(m.get("base_eval_ndcg_at_10") + 0.5);
            assertThat(m.get("eval_recall_at_10")).isGreaterThan(m.get("base_eval_recall_at_10") + 0.5);
            assertThat(m).containsKeys("eval_mrr_at_10", "eval_map_at_100", "eval_recall_at_1", "eval_recall_at_100",
                    "base_eval_mrr_at_10", "base_eval_map_at_100");
            List<JobEvent> events = Samples.events(t.jobs(), done.job().id());
            assertThat(events).anySatisfy(e -> assertThat(e.message()).startsWith(
                    "evaluation of the base model, before training: "));

            Checkpoint output = done.output();
            assertThat(output.method()).isEqualTo("embedding+lora");
            assertThat(output.format()).isEqualTo(CheckpointFormat.PEFT_ADAPTER);
            assertThat(output.metrics()).containsEntry("eval_ndcg_at_10", m.get("eval_ndcg_at_10"))
                    .containsEntry("base_eval_ndcg_at_10", m.get("base_eval_ndcg_at_10"));
            t.checkpoints().approve(output.id(), "alice", "beats the base model");
            assertThat(t.checkpoints().approved("tests", w.embeddingModel.toString())).map(Checkpoint::id)
                    .contains(output.id());

            awaitTracked(mlflow, done.job().id());
            FakeMlflowServer.Run run = mlflow.runOfJob(done.job().id()).orElseThrow();
            assertThat(run.tags).containsEntry("training.method", "embedding+lora")
                    .containsEntry("training.runner", SentenceTransformersRunner.NAME);
            assertThat(mlflow.metrics(run.id, "eval_ndcg_at_10")).isNotEmpty();
            assertThat(mlflow.metrics(run.id, "base_eval_ndcg_at_10")).isNotEmpty();

            // What a serving stack does: load the registered folder with sentence-transformers (the adapter finds
            // its base) and score the same held-out queries.
            Path copy = t.checkpoints().download(output.id(), dir.resolve("download"), bytes -> { });
            Map<String, Double> again = w.tools.score(copy, false, w.embeddingTask.retrieval(), dir.resolve("score"),
                    line -> { });
            assertThat(again.get("ndcg_at_10")).isCloseTo(m.get("eval_ndcg_at_10"), org.assertj.core.data.Offset
                    .offset(1e-6));
            // the merged copy the spec asked for is a whole model, registered with the adapter, and scores the same
            Path merged = copy.resolve("merged");
            assertThat(merged.resolve("config.json")).isRegularFile();
            assertThat(merged.resolve("adapter_config.json")).doesNotExist();
            Map<String, Double> whole = w.tools.score(merged, false, w.embeddingTask.retrieval(), dir.resolve("score"),
                    line -> { });
            assertThat(whole.get("ndcg_at_10")).isCloseTo(m.get("eval_ndcg_at_10"), org.assertj.core.data.Offset
                    .offset(1e-4));

            // on demand: the held-out queries as pairs, scored as retrieval beside the base model
            Path heldOut = heldOutPairs(w.embeddingTask.retrieval(), dir.resolve("held-out-pairs.jsonl"));
            dev.koder.training.api.Evaluation e = t.checkpoints().evaluate(output.id(), DatasetRef.of(heldOut,
                    DatasetFormat.PAIRS), "alice", line -> { });
            System.out.printf("on demand, held-out pairs: eval_ndcg_at_10 %.3f (base %.3f), eval_recall_at_10 %.3f "
                    + "(base %.3f)%n", e.metrics().get("eval_ndcg_at_10"), e.baseMetrics().get("eval_ndcg_at_10"),
                    e.metrics().get("eval_recall_at_10"), e.baseMetrics().get("eval_recall_at_10"));
            assertThat(e.metrics().get("eval_ndcg_at_10")).isGreaterThan(e.baseMetrics().get("eval_ndcg_at_10")
                    + 0.3);
            assertThat(e.metrics()).containsKeys("eval_mrr_at_10", "eval_map_at_100", "eval_recall_at_1");
            assertThat(t.checkpoints().evaluations(output.id())).containsExactly(e);
        }
    }

    /** The retrieval set's queries as pairs: each query's text and its first relevant document's text. */
    private static Path heldOutPairs(Path retrieval, Path out) throws java.io.IOException {
        tools.jackson.databind.ObjectMapper json = tools.jackson.databind.json.JsonMapper.builder().build();
        Map<String, String> queries = new java.util.HashMap<>();
        Map<String, String> corpus = new java.util.HashMap<>();
        for (String line : java.nio.file.Files.readAllLines(retrieval.resolve("queries.jsonl"))) {
            tools.jackson.databind.JsonNode n = json.readTree(line);
            queries.put(n.get("id").asString(), n.get("text").asString());
        }
        for (String line : java.nio.file.Files.readAllLines(retrieval.resolve("corpus.jsonl"))) {
            tools.jackson.databind.JsonNode n = json.readTree(line);
            corpus.put(n.get("id").asString(), n.get("text").asString());
        }
        java.util.Set<String> seen = new java.util.HashSet<>();
        List<String> rows = new java.util.ArrayList<>();
        for (String line : java.nio.file.Files.readAllLines(retrieval.resolve("judgements.jsonl"))) {
            tools.jackson.databind.JsonNode n = json.readTree(line);
            String q = n.get("query_id").asString();
            if (queries.containsKey(q) && seen.add(q)) {
                rows.add(json.writeValueAsString(Map.of("anchor", queries.get(q), "positive",
                        corpus.get(n.get("document_id").asString()))));
            }
        }
        java.nio.file.Files.write(out, rows);
        return out;
    }

    @Test
    void rerankerFull_liftsReRankingNdcgAt10_andItsModelFolderReproducesIt() throws Exception {
        TinyEncoders w = TinyEncoders.get();
        try (Training t = service(w)) {
            Done done = run(t, w.reranker(6).build());
            Map<String, Double> m = done.metrics();
            assertThat(m.get("eval_ndcg_at_10")).isGreaterThan(m.get("base_eval_ndcg_at_10") + 0.15);
            assertThat(m).containsKeys("eval_mrr_at_10", "base_eval_mrr_at_10");
            Checkpoint output = done.output();
            assertThat(output.method()).isEqualTo("reranker+full");
            assertThat(output.format()).isEqualTo(CheckpointFormat.FULL_MODEL);
            awaitTracked(mlflow, done.job().id());
            assertThat(mlflow.metrics(mlflow.runOfJob(done.job().id()).orElseThrow().id, "eval_ndcg_at_10"))
                    .isNotEmpty();
            Path copy = t.checkpoints().download(output.id(), dir.resolve("download"), bytes -> { });
            Map<String, Double> again = w.tools.score(copy, true, w.rerankerTask.retrieval(), dir.resolve("score"),
                    line -> { });
            assertThat(again.get("ndcg_at_10")).isCloseTo(m.get("eval_ndcg_at_10"), org.assertj.core.data.Offset
                    .offset(1e-6));
        }
    }
}
