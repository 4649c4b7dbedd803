package dev.koder.training.trl;

import dev.koder.training.python.PythonTrainer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import tools.jackson.databind.JsonNode;

/**
 * Helpers around the TRL runner's Python for smoke tests and the quickstart: make a tiny model locally, and
 * score a model on held-out chat data.
 */
public final class TrlTools {

    private final PythonTrainer python;

    /** @param runner the runner whose Python to use */
    public TrlTools(TrlRunner runner) {
        this.python = runner.python();
    }

    /**
     * Makes a random-initialised Llama with a character-level tokenizer over the given files' text, with no
     * download.
     *
     * @param output the model folder to write
     * @param corpus JSONL files whose characters become the vocabulary
     * @param hidden hidden size (layers: 2)
     * @param work a scratch folder
     * @param lines receives the script's output
     * @return the model folder
     */
    public Path tinyModel(Path output, List<Path> corpus, int hidden, Path work, Consumer<String> lines) {
        return tinyModel(output, corpus, Map.of("hidden", hidden, "layers", 2), work, lines);
    }

    /**
     * Makes a tiny model of a given shape.
     *
     * @param output the model folder to write
     * @param corpus JSONL files whose characters make the vocabulary
     * @param shape what tiny_model.py takes besides them: {@code hidden}, {@code layers}, {@code vocab_size},
     *     {@code max_positions}...
     * @param work a scratch folder
     * @param lines receives the tool's output
     * @return the model folder
     */
    public Path tinyModel(Path output, List<Path> corpus, Map<String, Object> shape, Path work,
            Consumer<String> lines) {
        Map<String, Object> args = new LinkedHashMap<>(shape);
        args.put("output", output.toAbsolutePath().toString());
        args.put("corpus", corpus.stream().map(p -> p.toAbsolutePath().toString()).toList());
        python.runTool("tiny_model.py", args, work, lines);
        return output;
    }

    /**
     * Writes a shell script that runs this runner's managed Python with a folder first on its module path, so
     * another runner's tests can train through a package that stands in for its framework.
     *
     * @param script the script to write
     * @param first the folder to put first on PYTHONPATH
     * @param lines receives the output of making the environment, if it is not made yet
     * @return the script
     */
    public Path pythonWithPathFirst(Path script, Path first, Consumer<String> lines) {
        Path real = python.environment(lines).python();
        try {
            // Paths only, never user data.
            Files.writeString(script, "#!/bin/sh\nPYTHONPATH='" + first + "'${PYTHONPATH:+:$PYTHONPATH}\n"
                    + "export PYTHONPATH\nexec '" + real + "' \"$@\"\n");
            Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return script;
    }

    /**
     * The scores of a model on held-out chat examples.
     *
     * @param loss mean cross-entropy on the assistant tokens
     * @param exactMatch answers generated exactly right
     * @param total examples
     * @param samples a few prompts with expected and generated answers
     * @param preferenceAccuracy share of preference pairs whose chosen answer is more likely, or NaN without pairs
     * @param preferenceMargin mean log-probability of chosen minus rejected, or NaN without pairs
     */
    public record Scores(double loss, int exactMatch, int total, List<Map<String, String>> samples,
            double preferenceAccuracy, double preferenceMargin) {
    }

    /**
     * Scores a model, optionally with an adapter, and optionally saves the merged model.
     *
     * @param model the base model folder
     * @param adapter a LoRA adapter folder, or null
     * @param data held-out chat JSONL
     * @param preferences held-out preference pairs (OpenAI layout), or null
     * @param mergeTo where to save the adapter merged into the base, or null
     * @param work a scratch folder
     * @param lines receives the script's output
     * @return the scores
     */
    public Scores evaluate(Path model, Path adapter, Path data, Path preferences, Path mergeTo, Path work,
            Consumer<String> lines) {
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("model", model.toAbsolutePath().toString());
        args.put("adapter", adapter == null ? null : adapter.toAbsolutePath().toString());
        args.put("data", data.toAbsolutePath().toString());
        args.put("preferences", preferences == null ? null : preferences.toAbsolutePath().toString());
        args.put("merge_to", mergeTo == null ? null : mergeTo.toAbsolutePath().toString());
        JsonNode r = python.runToolReport("evaluate.py", args, "report", work, lines);
        List<Map<String, String>> samples = new java.util.ArrayList<>();
        for (JsonNode s : r.path("samples")) {
            samples.add(Map.of("prompt", s.path("prompt").asString(), "expected", s.path("expected").asString(),
                    "got", s.path("got").asString()));
        }
        return new Scores(r.path("loss").asDouble(Double.NaN), r.path("exact_match").asInt(),
                r.path("total").asInt(), samples, r.path("preference_accuracy").asDouble(Double.NaN),
                r.path("preference_margin").asDouble(Double.NaN));
    }
}
