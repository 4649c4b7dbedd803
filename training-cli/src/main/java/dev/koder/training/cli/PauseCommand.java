package dev.koder.training.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "pause", description = {"Pause a job, to resume it later under the same id.",
        "A running trainer saves a checkpoint and stops; a queued job is paused at once.",
        "The job keeps its reserved GPU-hours; `resume ID` queues it again, `cancel ID` releases them."})
final class PauseCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Parameters(paramLabel = "ID", description = "The job id (ftjob-...).")
    String id;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec command;

    @Override
    public Integer call() {
        return CancelCommand.request(common, command, id, jobs -> jobs.pause(id),
                job -> job.pauseRequested() ? "pause requested; the trainer saves a checkpoint and stops" : null);
    }
}
