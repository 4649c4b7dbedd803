package dev.koder.training.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

@Command(name = "resume", description = {"Resume a paused job under its id, or start a new job from the last "
        + "checkpoint of a cancelled or failed one.",
        "The step count goes on from the checkpoint. Follows it like submit."})
final class ResumeCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Parameters(paramLabel = "ID", description = "The paused, cancelled or failed job (ftjob-...).")
    String id;

    @Option(names = "--detach", description = "Return as soon as the job is queued.")
    boolean detach;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec command;

    @Override
    public Integer call() throws Exception {
        return SubmitCommand.submitAndFollow(command, common, detach, jobs -> jobs.resume(id));
    }
}
