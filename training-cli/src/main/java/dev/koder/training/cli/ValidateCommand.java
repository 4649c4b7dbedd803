package dev.koder.training.cli;

import dev.koder.training.api.JobSpec;
import dev.koder.training.api.ValidationReport;
import dev.koder.training.core.Training;
import dev.koder.training.core.spec.JobSpecJson;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "validate", description = {"Check a job spec and everything it points to.",
        "Checks the spec's rules, its runner, the base model folder and every dataset line by line.",
        "Exit 0 when it can run, 2 when not."})
final class ValidateCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Parameters(paramLabel = "SPEC.json", description = "The job spec.")
    Path spec;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec command;

    @Override
    public Integer call() {
        PrintWriter out = command.commandLine().getOut();
        JobSpec job = JobSpecJson.read(spec);
        ValidationReport report;
        try (Training training = common.client()) {
            report = training.validate(job);
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("file", spec.toString());
        doc.put("valid", report.valid());
        doc.put("report", report);
        common.print(out, doc, text -> Render.validation(text, spec.toString(), report));
        return report.valid() ? ExitCodes.OK : ExitCodes.INVALID;
    }
}
