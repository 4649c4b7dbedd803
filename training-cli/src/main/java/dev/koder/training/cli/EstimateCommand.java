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

    @Parameters(paramLabel = "SPEC.json", description = "The job spec.")
    Path spec;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec command;

    @Override
    public Integer call() {
        JobSpec job = JobSpecJson.read(spec);
        CostEstimate estimate;
        try (Training training = common.client()) {
            estimate = training.estimate(job);
        }
        common.print(command.commandLine().getOut(), estimate, out -> Render.estimate(out, spec.toString(), estimate));
        return estimate.fits() ? ExitCodes.OK : ExitCodes.FAILED;
    }
}
