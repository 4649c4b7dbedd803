package dev.koder.training.cli;

import dev.koder.training.api.Job;
import dev.koder.training.api.Jobs;
import dev.koder.training.core.Training;
import java.util.concurrent.Callable;
import java.util.function.Function;
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
        return request(common, command, id, jobs -> jobs.cancel(id),
                job -> job.cancelRequested() ? "cancellation requested; the trainer saves a checkpoint and stops" : null);
    }

    /**
     * Asks something of a job and prints the job after it.
     *
     * @param pending what to say while the trainer has still to act on it, or null to print the status
     */
    static int request(CommonOptions common, CommandLine.Model.CommandSpec command, String id,
            Function<Jobs, Job> request, Function<Job, String> pending) {
        try (Training training = common.client()) {
            Job job = request.apply(training.jobs());
            String waiting = pending.apply(job);
            common.print(command.commandLine().getOut(), job, out -> out.println(id + ": " + (waiting != null
                    ? waiting : job.status().wireName())));
        }
        return ExitCodes.OK;
    }
}
