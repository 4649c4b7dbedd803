package dev.koder.training.cli;

import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.Page;
import dev.koder.training.core.Training;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "plot", description = {"Draw a job's curves from its events, without an MLflow server: training and "
        + "evaluation loss, learning rate, and for DPO the reward margin and accuracy, against steps.",
        "With --json, print the series instead."})
final class PlotCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Parameters(paramLabel = "JOB", description = "The job id (ftjob-...).")
    String id;

    @Option(names = "--out", paramLabel = "FILE.png", description = "Where the picture goes (default: JOB.png here).")
    Path out;

    @Option(names = "--size", paramLabel = "WxH", defaultValue = "1000x800", description = "Picture size in pixels "
            + "(default: ${DEFAULT-VALUE}).")
    String size;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec command;

    @Override
    public Integer call() throws IOException {
        // Drawn off-screen: no display is needed (or used when there is one).
        System.setProperty("java.awt.headless", "true");
        PrintWriter stdout = command.commandLine().getOut();
        int[] wh = size();
        try (Training training = common.client()) {
            Job job = training.jobs().get(id);
            TrainingCurves curves = TrainingCurves.of(job.id(), events(training, job.id()));
            if (common.json) {
                common.print(stdout, curves, o -> { });
                return ExitCodes.OK;
            }
            if (curves.isEmpty()) {
                command.commandLine().getErr().println("training: job " + job.id() + " (" + job.status().wireName()
                        + ") has reported no training figures yet; nothing to draw.");
                return ExitCodes.INVALID;
            }
            Path target = (out != null ? out : Path.of(job.id() + ".png")).toAbsolutePath();
            Path parent = target.getParent();
            Files.createDirectories(parent);
            // Written beside the target and moved into place: never a half-written picture.
            Path partial = Files.createTempFile(parent, ".plot-", ".png.partial");
            try {
                try (OutputStream o = Files.newOutputStream(partial)) {
                    curves.png(o, wh[0], wh[1]);
                }
                Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(partial);
            }
            stdout.println(target + ": " + String.join(", ", curves.series().keySet()) + " over "
                    + curves.series().values().stream().mapToInt(List::size).max().orElse(0) + " points");
        }
        return ExitCodes.OK;
    }

    private int[] size() {
        String[] p = size.toLowerCase(java.util.Locale.ROOT).split("x");
        try {
            int w = Integer.parseInt(p[0].trim());
            int h = Integer.parseInt(p[1].trim());
            if (p.length == 2 && w >= 200 && h >= 150 && w <= 10_000 && h <= 10_000) {
                return new int[] {w, h};
            }
        } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
            // reported below
        }
        throw new CommandLine.ParameterException(command.commandLine(), "--size must be WIDTHxHEIGHT between "
                + "200x150 and 10000x10000, got " + size);
    }

    static List<JobEvent> events(Training training, String id) {
        List<JobEvent> all = new ArrayList<>();
        long after = 0;
        while (true) {
            Page<JobEvent> page = training.jobs().events(id, after, 1000);
            all.addAll(page.items());
            if (page.nextCursor() == null || page.items().isEmpty()) {
                return all;
            }
            after = page.items().get(page.items().size() - 1).seq();
        }
    }
}
