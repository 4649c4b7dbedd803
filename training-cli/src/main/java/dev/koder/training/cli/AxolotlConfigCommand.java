package dev.koder.training.cli;

import dev.koder.training.api.JobSpec;
import dev.koder.training.axolotl.AxolotlJob;
import dev.koder.training.core.estimate.Recipe;
import dev.koder.training.core.spec.JobSpecJson;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "axolotl-config", description = {"Write the axolotl config and data a job would use, to check or "
        + "run them with a real axolotl elsewhere.",
        "DIR gets config.yml (checked against axolotl 0.18.0's schema), data/ (the spec's datasets converted) and "
        + "the events plugin, with paths that work from DIR: cd DIR && PYTHONPATH=. TRAINING_EVENTS_FILE=events.jsonl "
        + "AXOLOTL_DO_NOT_TRACK=1 axolotl train config.yml"})
final class AxolotlConfigCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Parameters(paramLabel = "SPEC.json", description = "The job spec.")
    Path spec;

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "The folder to write into.")
    Path out;

    @Option(names = "--device", paramLabel = "cpu|cuda", defaultValue = "auto", description = "The device the "
            + "config is for (default: cuda when the spec asks for GPUs, else cpu).")
    String device;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec command;

    @Override
    public Integer call() throws IOException {
        PrintWriter stdout = command.commandLine().getOut();
        // Auto values take the choice made without an estimate (an export has no GPU to plan against).
        Recipe recipe = Recipe.unestimated(JobSpecJson.resolvePaths(JobSpecJson.read(spec),
                spec.toAbsolutePath().getParent()), "an exported config is not planned against a GPU");
        JobSpec job = recipe.spec();
        boolean cuda = switch (device) {
            case "cuda" -> true;
            case "cpu" -> false;
            case "auto" -> job.resources().gpus() > 0;
            default -> throw new CommandLine.ParameterException(command.commandLine(), "--device must be cpu, cuda "
                    + "or auto, got " + device);
        };
        Path dir = out.toAbsolutePath().normalize();
        Map<String, Object> config = AxolotlJob.write(job, dir, dir.resolve("output"), null, cuda, cuda,
                AxolotlJob.Paths.RELATIVE);
        AxolotlJob.copyPlugin(dir);
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("config", dir.resolve(AxolotlJob.CONFIG).toString());
        doc.put("device", cuda ? "cuda" : "cpu");
        doc.put("axolotl", config);
        common.print(stdout, doc, text -> {
            text.println(dir.resolve(AxolotlJob.CONFIG) + ": axolotl 0.18.0 config for " + job.method().label() + " on "
                    + (cuda ? "cuda" : "cpu") + ", checked against axolotl's schema");
            recipe.lines().forEach(l -> text.println("  " + l));
            try (var files = Files.walk(dir.resolve("data"))) {
                files.filter(Files::isRegularFile).forEach(f -> text.println("  data: " + dir.relativize(f)));
            } catch (IOException e) {
                text.println("  data: " + dir.resolve("data"));
            }
            text.println("  run it: cd " + dir + " && PYTHONPATH=. TRAINING_EVENTS_FILE=events.jsonl AXOLOTL_DO_NOT_TRACK=1 axolotl train "
                    + AxolotlJob.CONFIG);
        });
        return ExitCodes.OK;
    }
}
