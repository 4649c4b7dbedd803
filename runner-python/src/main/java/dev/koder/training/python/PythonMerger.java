package dev.koder.training.python;

import dev.koder.training.spi.AdapterMerger;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import tools.jackson.databind.JsonNode;

/**
 * Merges adapters with PEFT's {@code merge_and_unload} in a runner's managed environment (the same PEFT that wrote
 * them), through {@value PythonTrainer#MERGE_MODULE}: on the CPU, saved as safetensors, then loaded back and checked
 * against the adapter model's logits.
 */
public final class PythonMerger implements AdapterMerger {

    private final PythonTrainer python;

    /** @param python the runner's Python side, whose environment has PEFT */
    public PythonMerger(PythonTrainer python) {
        this.python = python;
    }

    @Override
    public Merged merge(String baseModel, Path adapter, Path output, Path work, Consumer<String> lines) {
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("base", baseModel);
        args.put("adapter", adapter.toAbsolutePath().toString());
        args.put("output", output.toAbsolutePath().toString());
        JsonNode r = python.runToolReport(PythonTrainer.MERGE_MODULE, args, "report", work, lines);
        return new Merged(r.path("base").asString(), r.path("dtype").asString(), r.path("max_abs_diff").asDouble(),
                r.path("tolerance").asDouble(), r.path("probe_tokens").asInt());
    }
}
