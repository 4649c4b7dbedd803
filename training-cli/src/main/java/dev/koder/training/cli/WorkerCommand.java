package dev.koder.training.cli;

import dev.koder.training.api.StorageException;
import dev.koder.training.core.Training;
import dev.koder.training.spi.Json;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine;

@Command(name = "worker", description = {"Run the jobs of a home until stopped.",
        "On Ctrl-C or SIGTERM running trainers save a checkpoint; their jobs resume when a worker runs again."})
final class WorkerCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec command;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = command.commandLine().getOut();
        Training training = Training.builder().home(common.home).build();
        if (!training.runsJobs()) {
            training.close();
            throw new StorageException("Another process already runs the jobs of " + training.home() + ".", false, null);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            training.close();
            stopped.countDown();
        }, "worker-stop"));
        training.jobs().addListener((job, e) -> {
            if (common.json) {
                out.println(Json.write(e));
            } else if (!e.type().equals("progress") || e.seq() % 10 == 0) {
                out.println(job.id() + "  " + Render.TIME.format(e.time()) + "  " + e.message());
            }
            out.flush();
        });
        if (!common.json) {
            out.println("Running the jobs of " + training.home() + "; Ctrl-C stops (trainers save a checkpoint).");
            out.flush();
        }
        stopped.await();
        return ExitCodes.OK;
    }
}
