package dev.koder.training.spi;

import dev.koder.training.api.JobSpec;
import dev.koder.training.api.Violation;
import java.io.IOException;
import java.util.List;

/**
 * Knows one trainer (TRL, axolotl, unsloth, ...): what it can do, what it refuses, and how to turn a spec
 * into files and a command. It never starts processes itself; an {@link Executor} does.
 */
public interface TrainingRunner {

    /** @return the runner's name, as used in a spec's {@code runner} field */
    String name();

    /** @return the methods, formats and devices it supports */
    RunnerCapabilities capabilities();

    /**
     * Checks what the capabilities cannot express (for example QLoRA without CUDA on this host). Must be fast
     * and free of side effects.
     *
     * @param spec a built spec the capabilities accept
     * @return every problem, each with the JSON pointer of the option; empty when the runner can run it
     */
    List<Violation> check(JobSpec spec);

    /**
     * Writes the trainer's input files into the context's workdir and returns how to launch it. Called once
     * per attempt; must not start processes.
     *
     * @param spec the job's spec (dataset paths absolute)
     * @param context where and how this attempt runs
     * @return the launch plan
     * @throws IOException when the files cannot be written
     */
    LaunchPlan prepare(JobSpec spec, RunContext context) throws IOException;
}
