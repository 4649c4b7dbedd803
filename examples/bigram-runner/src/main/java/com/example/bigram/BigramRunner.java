package com.example.bigram;

import dev.koder.training.api.AdapterType;
import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.Objective;
import dev.koder.training.api.Violation;
import dev.koder.training.spi.LaunchPlan;
import dev.koder.training.spi.MethodKind;
import dev.koder.training.spi.PluginConfig;
import dev.koder.training.spi.RunContext;
import dev.koder.training.spi.RunnerCapabilities;
import dev.koder.training.spi.RunnerChoice;
import dev.koder.training.spi.TrainingRunner;
import dev.koder.training.spi.TrainingRunnerProvider;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A third-party runner in one class: a character bigram model trained on chat data by {@code bigram_train.py},
 * which needs nothing but python3. It shows what a runner does and nothing more: says what it can train, refuses
 * what it cannot, writes the job's parameters as a JSON file in the job's folder (the spec never reaches a
 * command line or program text) and returns how to launch the trainer. The service does the rest: queues,
 * starts, follows the events, cancels, resumes, registers the output.
 *
 * <p>Found through {@code META-INF/services/dev.koder.training.spi.TrainingRunnerProvider}; a spec picks it with
 * {@code "runner": "bigram"}.
 */
public final class BigramRunner implements TrainingRunner {

    private final String python;

    /** @param python the interpreter to run the trainer with */
    public BigramRunner(String python) {
        this.python = python;
    }

    @Override
    public String name() {
        return "bigram";
    }

    @Override
    public RunnerCapabilities capabilities() {
        return new RunnerCapabilities(Set.of(new MethodKind(Objective.SFT, AdapterType.FULL)),
                Set.of(DatasetFormat.CHAT), true, false);
    }

    @Override
    public List<Violation> check(JobSpec spec) {
        List<Violation> problems = new ArrayList<>();
        if (spec.resources().gpus() > 0) {
            problems.add(new Violation("/resources/gpus", "runner 'bigram' counts on the CPU; set gpus to 0"));
        }
        return problems;
    }

    /** Never chosen unless named: it is an example. */
    @Override
    public RunnerChoice choice(JobSpec spec) {
        return RunnerChoice.unavailable("an example; name it in the spec to use it");
    }

    @Override
    public LaunchPlan prepare(JobSpec spec, RunContext ctx) throws IOException {
        Path script = ctx.workdir().resolve("bigram_train.py");
        try (InputStream in = BigramRunner.class.getResourceAsStream("bigram_train.py")) {
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
        }
        Path args = ctx.workdir().resolve("bigram-args-" + ctx.attempt() + ".json");
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("training_data", spec.trainingData().path());
        parameters.put("max_steps", spec.hyperparameters().maxSteps() == null ? 10 : spec.hyperparameters().maxSteps());
        parameters.put("every_steps", spec.checkpoints().everySteps() == null ? 0 : spec.checkpoints().everySteps());
        parameters.put("events_file", ctx.eventsFile().toString());
        parameters.put("output_dir", ctx.outputDir().toString());
        parameters.put("resume_from", ctx.resumeFrom().map(Path::toString).orElse(""));
        Files.writeString(args, json(parameters), StandardCharsets.UTF_8);
        return new LaunchPlan(List.of(python, "-u", script.toString(), args.toString()), Map.of(), ctx.workdir(),
                ctx.stdout(), ctx.stderr());
    }

    /** A flat JSON object of strings and numbers (the example needs no JSON library). */
    static String json(Map<String, Object> values) {
        StringBuilder b = new StringBuilder("{");
        for (Map.Entry<String, Object> e : values.entrySet()) {
            b.append(b.length() > 1 ? "," : "").append(quote(e.getKey())).append(':');
            b.append(e.getValue() instanceof Number ? e.getValue().toString() : quote(String.valueOf(e.getValue())));
        }
        return b.append('}').toString();
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }

    /** Finds the runner through ServiceLoader; {@code bigram.python} names the interpreter (default python3). */
    public static final class Provider implements TrainingRunnerProvider {
        @Override
        public String name() {
            return "bigram";
        }

        @Override
        public TrainingRunner create(PluginConfig config) {
            return new BigramRunner(config.get("bigram.python").orElse("python3"));
        }
    }
}
