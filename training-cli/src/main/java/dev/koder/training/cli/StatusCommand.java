package dev.koder.training.cli;

import dev.koder.training.api.Job;
import dev.koder.training.core.Training;
import dev.koder.training.core.internal.Json;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "status", description = "Show one job: status, progress, times, output or failure.")
final class StatusCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Parameters(paramLabel = "ID", description = "The job id (ftjob-...).")
    String id;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec command;

    @Override
    public Integer call() {
        try (Training training = Training.builder().home(common.home).runJobs(false).build()) {
            Job job = training.jobs().get(id);
            if (common.json) {
                command.commandLine().getOut().println(Json.write(job));
            } else {
                Render.job(command.commandLine().getOut(), job);
            }
        }
        return ExitCodes.OK;
    }
}
