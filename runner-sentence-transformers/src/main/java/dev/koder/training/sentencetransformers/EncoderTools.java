package dev.koder.training.sentencetransformers;

import dev.koder.training.python.PythonTrainer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Helpers around the sentence-transformers runner's Python for tests and the embedding quickstart: make a tiny
 * encoder with a synthetic retrieval task, and score a model with the evaluators the trainer reports through.
 */
public final class EncoderTools {

    /** Which words the task's documents are written in (see {@link #tinyEncoder}). */
    public enum Words {
        /** documents in their own words: the model must learn which query word goes with which document word */
        DOCUMENT,
        /** documents in the queries' words: a matching task a tiny cross-encoder learns in seconds */
        QUERY
    }

    /**
     * The synthetic task's files.
     *
     * @param pairs training pairs ({@code pairs} format)
     * @param groups the same queries as groups of seven candidates ({@code groups} format)
     * @param scoredPairs four candidates of each as scored pairs ({@code scored-pairs} format)
     * @param retrieval the retrieval set of held-out queries over the whole corpus (a folder)
     */
    public record Task(Path pairs, Path groups, Path scoredPairs, Path retrieval) {
        static Task in(Path folder) {
            return new Task(folder.resolve("pairs.jsonl"), folder.resolve("groups.jsonl"),
                    folder.resolve("scored-pairs.jsonl"), folder.resolve("retrieval"));
        }
    }

    private final PythonTrainer python;

    /** @param runner the runner whose Python to use */
    public EncoderTools(SentenceTransformersRunner runner) {
        this.python = runner.python();
    }

    /**
     * Makes a random-initialised two-layer BERT with a word-level tokenizer (no download), and a synthetic retrieval
     * task over its words: 300 documents naming three of 60 concepts each, two training queries for each of the first
     * 240, and 60 held-out queries for the last 60. An untrained model ranks at random.
     *
     * @param model the model folder to write
     * @param task the folder for the task's files
     * @param words the documents' words
     * @param hidden the hidden size
     * @param work a scratch folder
     * @param lines receives the tool's output
     * @return the task's files
     */
    public Task tinyEncoder(Path model, Path task, Words words, int hidden, Path work, Consumer<String> lines) {
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("output", model.toAbsolutePath().toString());
        args.put("task", task.toAbsolutePath().toString());
        args.put("words", words.name().toLowerCase(java.util.Locale.ROOT));
        args.put("hidden", hidden);
        python.runTool("tiny_encoder.py", args, work, lines);
        return Task.in(task.toAbsolutePath());
    }

    /**
     * Scores a model folder (a whole sentence-transformers model, or a LoRA adapter folder, which loads its base)
     * on a retrieval set, with the evaluators and names the trainer reports: {@code ndcg_at_10}, {@code mrr_at_10},
     * {@code map_at_100}, {@code recall_at_1}, {@code recall_at_10}, {@code recall_at_100} for embeddings;
     * {@code ndcg_at_10}, {@code mrr_at_10} of re-ranking for rerankers.
     *
     * @param model the model folder
     * @param reranker whether it is a reranker (else an embedding model)
     * @param retrieval the retrieval set's folder
     * @param work a scratch folder
     * @param lines receives the tool's output
     * @return the figures by name
     */
    public Map<String, Double> score(Path model, boolean reranker, Path retrieval, Path work,
            Consumer<String> lines) {
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("model", model.toAbsolutePath().toString());
        args.put("objective", reranker ? "reranker" : "embedding");
        args.put("retrieval_data", Map.of("path", retrieval.toAbsolutePath().toString()));
        Map<String, Double> figures = new LinkedHashMap<>();
        python.runToolReport("score_encoder.py", args, "output", work, lines).properties()
                .forEach(e -> figures.put(e.getKey(), e.getValue().asDouble()));
        return figures;
    }
}
