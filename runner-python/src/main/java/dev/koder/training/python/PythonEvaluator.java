package dev.koder.training.python;

import dev.koder.training.api.DatasetFormat;
import dev.koder.training.spi.CheckpointEvaluator;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Predicate;
import tools.jackson.databind.JsonNode;

/**
 * Scores checkpoints in a runner's managed environment with one of its scripts, which reads the request as JSON
 * and writes {@code {"metrics", "base_metrics", "examples", "device"}}. By default language-model checkpoints (SFT
 * and preference data) through {@value PythonTrainer#EVAL_MODULE}, with the SDK's own SFT encoding, so the figures
 * are over the tokens training learns; on CUDA when the machine has it, else on the CPU.
 */
public final class PythonEvaluator implements CheckpointEvaluator {

    private final PythonTrainer python;
    private final String script;
    private final Predicate<DatasetFormat> formats;

    /** @param python the runner's Python side */
    public PythonEvaluator(PythonTrainer python) {
        this(python, PythonTrainer.EVAL_MODULE, DatasetFormat.languageModelFormats()::contains);
    }

    /**
     * @param python the runner's Python side
     * @param script the scoring script, one of the runner's staged scripts
     * @param formats the data formats it scores
     */
    public PythonEvaluator(PythonTrainer python, String script, Predicate<DatasetFormat> formats) {
        this.python = python;
        this.script = script;
        this.formats = formats;
    }

    @Override
    public boolean supports(DatasetFormat format) {
        return formats.test(format);
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
        JsonNode r = python.runToolReport(script, args, "report", work, lines);
        return new Result(figures(r.path("metrics")), figures(r.path("base_metrics")), r.path("examples").asLong(),
                r.path("device").asString());
    }

    private static Map<String, Double> figures(JsonNode node) {
        Map<String, Double> out = new LinkedHashMap<>();
        node.properties().forEach(e -> out.put(e.getKey(), e.getValue().asDouble()));
        return out;
    }
}
