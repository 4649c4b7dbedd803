package dev.koder.training.cli;

import dev.koder.training.api.CostEstimate;
import dev.koder.training.api.JobSpec;
import dev.koder.training.core.Training;
import dev.koder.training.core.spec.JobSpecJson;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "estimate", description = {"Estimate what a job would cost, without submitting it.",
        "Tokens from a scan of the data, FLOPs, wall time, GPU-hours, price, and peak memory per GPU against "
                + "the GPU it would get, each figure explained.",
        "Exit 0 when the job fits its GPU, 1 when it would not, 2 when the spec or its data is invalid."})
final class EstimateCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Parameters(paramLabel = "SPEC.json", arity = "0..1", description = "The job spec.")
    Path spec;

    @picocli.CommandLine.Option(names = "--history", description = "Instead of estimating a spec, show how far this "
            + "home's estimates were from what its finished jobs measured, per method and device.")
    boolean history;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec command;

    @Override
    public Integer call() {
        if (history) {
            try (Training training = common.client()) {
                dev.koder.training.api.EstimateHistory h = training.estimateHistory(100_000);
                common.print(command.commandLine().getOut(), h, out -> Render.history(out, h));
            }
            return ExitCodes.OK;
        }
        if (spec == null) {
            throw new CommandLine.ParameterException(command.commandLine(), "Missing SPEC.json (or --history)");
        }
        JobSpec job = JobSpecJson.read(spec);
        CostEstimate estimate;
        try (Training training = common.client()) {
            estimate = training.estimate(job);
        }
        common.print(command.commandLine().getOut(), estimate, out -> Render.estimate(out, spec.toString(), estimate));
        return estimate.fits() ? ExitCodes.OK : ExitCodes.FAILED;
    }
}
