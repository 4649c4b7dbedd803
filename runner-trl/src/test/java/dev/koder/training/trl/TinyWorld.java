package dev.koder.training.trl;

import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.Hyperparameters;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.Resources;
import dev.koder.training.api.TrainingMethod;
import dev.koder.training.spi.PluginConfig;
import dev.koder.training.tck.ScratchDir;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What the TRL tests share, made once per JVM: the runner (its managed Python environment, created on first
 * use in the per-user cache), and a tiny random-initialised Llama over the bundled shout task's characters.
 */
final class TinyWorld {

    static final Path DATA = Path.of("../examples/data").toAbsolutePath().normalize();
    static final Path TRAIN = DATA.resolve("shout-train.jsonl");
    static final Path TEST = DATA.resolve("shout-test.jsonl");
    static final Path PREFS = DATA.resolve("shout-prefs.jsonl");

    private static TinyWorld instance;

    final Path dir;
    final TrlRunner runner;
    final TrlTools tools;
    final Path model;

    private TinyWorld() throws IOException {
        dir = ScratchDir.create("tiny-world");
        runner = new TrlRunner(new PluginConfig(dir, Map.of()));
        runner.python().environment(line -> System.out.println("[python] " + line));
        tools = new TrlTools(runner);
        model = tools.tinyModel(dir.resolve("tiny-llama"), List.of(TRAIN, PREFS), 128, dir.resolve("work"),
                line -> { });
    }

    static synchronized TinyWorld get() {
        if (instance == null) {
            try {
                instance = new TinyWorld();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return instance;
    }

    /** What a Python snippet printed and how it exited. */
    record Ran(int code, String output) {
    }

    /**
     * Runs a Python snippet with the runner's interpreter, the trainer's scripts on its path.
     *
     * @param dir a scratch folder
     * @param lines the snippet
     * @param args its arguments
     * @return its exit code and output
     */
    Ran python(Path dir, List<String> lines, String... args) throws IOException, InterruptedException {
        Path staged = runner.python().stage(dir.resolve("python"));
        Path script = dir.resolve("snippet.py");
        Files.writeString(script, String.join("\n", lines) + "\n");
        List<String> command = new java.util.ArrayList<>(List.of(
                runner.python().environment(m -> { }).python().toString(), script.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().put("PYTHONPATH", staged.toString());
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(2, java.util.concurrent.TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("the snippet ran past 2 minutes: " + out);
        }
        return new Ran(p.exitValue(), out);
    }

    /**
     * Runs one of the tests' Python scripts (a resource, copied into dir) with the tiny model's folder, the shout
     * training data and an output file as its arguments.
     *
     * @param dir a scratch folder
     * @param resource the script's resource path
     * @return the output file, once the script has exited 0
     */
    Path script(Path dir, String resource) throws IOException, InterruptedException {
        return script(dir, resource, TRAIN);
    }

    /**
     * Runs one of the tests' Python scripts with the tiny model's folder, the given data, an output file and any
     * further arguments.
     *
     * @param dir a scratch folder
     * @param resource the script's resource path
     * @param data the data file the script trains on
     * @param more arguments after the output file
     * @return the output file, once the script has exited 0
     */
    Path script(Path dir, String resource, Path data, String... more) throws IOException, InterruptedException {
        Path script = dir.resolve(Path.of(resource).getFileName().toString());
        try (var in = TinyWorld.class.getResourceAsStream(resource)) {
            Files.copy(in, script);
        }
        Path out = dir.resolve(script.getFileName() + ".json");
        List<String> args = new java.util.ArrayList<>(List.of(script.toString(), model.toString(), data.toString(),
                out.toString()));
        args.addAll(List.of(more));
        Ran ran = python(dir, List.of("import runpy, sys", "sys.argv = sys.argv[1:]",
                "runpy.run_path(sys.argv[0], run_name='__main__')"), args.toArray(String[]::new));
        if (ran.code() != 0) {
            throw new AssertionError(resource + " exited " + ran.code() + ":\n" + ran.output());
        }
        return out;
    }

    /** A LoRA SFT job on the tiny model that learns the shout task in a few seconds on a CPU. */
    JobSpec.Builder sft(int steps) {
        return JobSpec.builder().name("tiny-sft").tenant("tests").baseModel(model.toString()).runner("trl")
                .method(TrainingMethod.sftLora())
                .hyperparameters(Hyperparameters.builder().maxSteps(steps).learningRate(2e-3).microBatchSize(16)
                        .maxSeqLength(64).gradientCheckpointing(false).warmupRatio(0.05).build())
                .trainingData(DatasetRef.of(TRAIN, DatasetFormat.CHAT)).resources(Resources.cpu());
    }
}
