package dev.koder.training.cli;

import dev.koder.training.api.Job;
import dev.koder.training.core.Training;
import java.util.List;
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
        try (Training training = common.client()) {
            Job job = training.jobs().get(id);
            List<String> tracking = training.tracking(job);
            common.print(command.commandLine().getOut(), job, out -> {
                Render.job(out, job);
                Render.tracking(out, tracking);
            });
        }
        return ExitCodes.OK;
    }
}
