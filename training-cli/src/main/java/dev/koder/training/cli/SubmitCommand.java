package dev.koder.training.cli;

import dev.koder.training.api.Job;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Jobs;
import dev.koder.training.core.Training;
import dev.koder.training.core.spec.JobSpecJson;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "submit", description = {"Submit a job and follow it with a live progress bar.",
        "Ctrl-C cancels it (the trainer saves a checkpoint); a second Ctrl-C stops it at once.",
        "Exit 0 when it succeeded, 1 when it failed or was cancelled."})
final class SubmitCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Parameters(paramLabel = "SPEC.json", description = "The job spec.")
    Path spec;

    @Option(names = "--detach", description = "Return as soon as the job is queued; a worker (./training worker) runs it.")
    boolean detach;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec command;

    @Override
    public Integer call() throws Exception {
        JobSpec job = JobSpecJson.read(spec);
        String submitter = CheckpointsCommand.defaultActor();
        return submitAndFollow(command, common, detach, jobs -> jobs.submit(job, submitter));
    }

    /**
     * Creates a job with the given action, then follows it to the end (or returns at once with --detach).
     *
     * @return the exit code: 0 when it succeeded
     */
    static int submitAndFollow(CommandLine.Model.CommandSpec command, CommonOptions common, boolean detach,
            Function<Jobs, Job> action) throws InterruptedException {
        PrintWriter out = command.commandLine().getOut();
        try (Training training = Training.builder().home(common.home).runJobs(!detach).build()) {
            Job submitted = action.apply(training.jobs());
            if (detach) {
                common.print(out, submitted, text -> {
                    text.println(submitted.id() + " submitted (" + submitted.status().wireName() + ")");
                    text.println("Follow it: ./training events " + submitted.id() + " --follow --home " + common.home);
                });
                return ExitCodes.OK;
            }
            if (!common.json) {
                out.println(submitted.id() + " submitted: " + submitted.spec().method().label() + " of "
                        + submitted.spec().baseModel() + (training.runsJobs() ? ""
                                : " (another process runs the jobs of " + training.home() + ")"));
            }
            AtomicInteger interrupts = new AtomicInteger();
            Signals.onInterrupt(() -> {
                int n = interrupts.incrementAndGet();
                training.jobs().cancel(submitted.id());
                PrintWriter err = command.commandLine().getErr();
                err.println(n == 1 ? "\ncancelling: the trainer saves a checkpoint and stops (Ctrl-C again to stop at once)"
                        : "\nstopping at once");
                err.flush();
            });
            Job done = new Follow(training.jobs(), out, false, System.console() != null && !common.json)
                    .quietly(common.json).until(submitted.id(), 0);
            common.print(out, done, text -> {
                text.println();
                Render.job(text, done);
                if (done.status() == JobStatus.CANCELLED && done.lastCheckpoint() != null) {
                    text.println("Resume it: ./training resume " + done.id() + " --home " + common.home);
                }
            });
            return done.status() == JobStatus.SUCCEEDED ? ExitCodes.OK : ExitCodes.FAILED;
        }
    }
}
