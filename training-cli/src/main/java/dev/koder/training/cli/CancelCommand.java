package dev.koder.training.cli;

import dev.koder.training.api.Job;
import dev.koder.training.core.Training;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "cancel", description = {"Cancel a job.",
        "A running trainer saves a checkpoint and stops; cancelling again stops it at once.",
        "Cancelling a cancelled job does nothing."})
final class CancelCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Parameters(paramLabel = "ID", description = "The job id (ftjob-...).")
    String id;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec command;

    @Override
    public Integer call() {
        try (Training training = common.client()) {
            Job job = training.jobs().cancel(id);
            common.print(command.commandLine().getOut(), job, out -> out.println(id + ": " + (job.cancelRequested()
                    ? "cancellation requested; the trainer saves a checkpoint and stops" : job.status().wireName())));
        }
        return ExitCodes.OK;
    }
}
