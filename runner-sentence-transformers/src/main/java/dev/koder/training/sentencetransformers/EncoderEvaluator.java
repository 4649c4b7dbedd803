package dev.koder.training.sentencetransformers;

import dev.koder.training.api.DatasetFormat;
import dev.koder.training.python.PythonTrainer;
import dev.koder.training.spi.CheckpointEvaluator;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import tools.jackson.databind.JsonNode;

/**
 * Scores embedding and reranker checkpoints on held-out data (pairs as retrieval; groups and scored pairs as
 * re-ranking) with the trainer's own evaluators, through {@value #SCRIPT}: {@code eval_ndcg_at_10},
 * {@code eval_mrr_at_10}, {@code eval_map_at_100}, {@code eval_recall_at_1/10/100} for embeddings, the re-ranking
 * figures for rerankers, beside the base model's.
 */
final class EncoderEvaluator implements CheckpointEvaluator {

    static final String SCRIPT = "encoder_eval.py";

    private final PythonTrainer python;

    EncoderEvaluator(PythonTrainer python) {
        this.python = python;
    }

    @Override
    public boolean supports(DatasetFormat format) {
        return format.encoder();
    }

    @Override
    public Result evaluate(Request request, Path work, Consumer<String> lines) {
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("base", request.baseModel());
        args.put("checkpoint", request.checkpoint().toAbsolutePath().toString());
        args.put("data", request.data().toAbsolutePath().toString());
        args.put("format", request.format().wireName());
        JsonNode r = python.runToolReport(SCRIPT, args, "report", work, lines);
        return new Result(figures(r.path("metrics")), figures(r.path("base_metrics")), r.path("examples").asLong(),
                r.path("device").asString());
    }

    private static Map<String, Double> figures(JsonNode node) {
        Map<String, Double> out = new LinkedHashMap<>();
        node.properties().forEach(e -> out.put(e.getKey(), e.getValue().asDouble()));
        return out;
    }
}
