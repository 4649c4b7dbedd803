package dev.koder.training.python;

import dev.koder.training.api.DatasetFormat;
import dev.koder.training.spi.CheckpointEvaluator;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import tools.jackson.databind.JsonNode;

/**
 * Scores language-model checkpoints (SFT and preference data) in a runner's managed environment through
 * {@value PythonTrainer#EVAL_MODULE}, with the SDK's own SFT encoding, so the figures are over the tokens training
 * learns. On CUDA when the machine has it, else on the CPU.
 */
public final class PythonEvaluator implements CheckpointEvaluator {

    private final PythonTrainer python;

    /** @param python the runner's Python side */
    public PythonEvaluator(PythonTrainer python) {
        this.python = python;
    }

    @Override
    public boolean supports(DatasetFormat format) {
        return DatasetFormat.languageModelFormats().contains(format);
    }

    @Override
    public Result evaluate(Request request, Path work, Consumer<String> lines) {
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("base", request.baseModel());
        args.put("checkpoint", request.checkpoint().toAbsolutePath().toString());
        args.put("data", request.data().toAbsolutePath().toString());
        args.put("format", request.format().wireName());
        args.put("max_seq_length", request.maxSeqLength());
        args.put("beta", request.beta());
        JsonNode r = python.runToolReport(PythonTrainer.EVAL_MODULE, args, "report", work, lines);
        return new Result(figures(r.path("metrics")), figures(r.path("base_metrics")), r.path("examples").asLong(),
                r.path("device").asString());
    }

    private static Map<String, Double> figures(JsonNode node) {
        Map<String, Double> out = new LinkedHashMap<>();
        node.properties().forEach(e -> out.put(e.getKey(), e.getValue().asDouble()));
        return out;
    }
}
