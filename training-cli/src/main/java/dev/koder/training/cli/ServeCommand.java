package dev.koder.training.cli;

import dev.koder.training.core.Training;
import dev.koder.training.server.TrainingServer;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "serve", description = {"Serve the home over HTTP: the OpenAI-compatible fine-tuning API, native "
        + "endpoints, /metrics and a dashboard.",
        "Requests need a key from `training keys create`. Jobs run in this process unless --no-worker."})
final class ServeCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Option(names = "--port", description = "Port to listen on (default: ${DEFAULT-VALUE}; 0 for any free one).",
            defaultValue = "8080")
    int port;

    @Option(names = "--host", description = "Address to listen on (default: ${DEFAULT-VALUE}).",
            defaultValue = "127.0.0.1")
    String host;

    @Option(names = "--gpus-per-job", description = "GPUs an OpenAI-style job gets (default: 1 when this host has "
            + "GPUs, else 0: CPU).")
    Integer gpusPerJob;

    @Option(names = "--max-upload-mib", description = "Largest file upload in MiB (default: ${DEFAULT-VALUE}).",
            defaultValue = "512")
    long maxUploadMib;

    @Option(names = "--no-worker", description = "Do not run jobs in this process (a `training worker` runs them).")
    boolean noWorker;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec command;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = command.commandLine().getOut();
        Training training = Training.builder().home(common.home).runJobs(!noWorker).build();
        TrainingServer.Builder b = TrainingServer.builder(training).host(host).port(port)
                .maxUploadBytes(maxUploadMib * 1024 * 1024);
        if (gpusPerJob != null) {
            b.gpusPerJob(gpusPerJob);
        }
        TrainingServer server;
        try {
            server = b.start();
        } catch (RuntimeException e) {
            training.close();
            throw e;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            training.close();
            stopped.countDown();
        }, "serve-stop"));
        out.println("Serving " + training.home() + " on http://" + host + ":" + server.port() + " ("
                + (training.runsJobs() ? "running its jobs" : "jobs run by another process") + "); Ctrl-C stops.");
        out.flush();
        stopped.await();
        return ExitCodes.OK;
    }
}
