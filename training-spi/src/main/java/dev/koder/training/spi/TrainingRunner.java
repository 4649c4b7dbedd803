package dev.koder.training.spi;

import dev.koder.training.api.JobFailure;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.Violation;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

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
     * How much this runner wants the job when its spec names no runner ({@link RunnerChoice}). Must be fast and
     * free of side effects, like {@link #check}.
     *
     * @param spec a built spec the capabilities and {@link #check} accept
     * @return its rank and reason; the default is willing with no preference
     */
    default RunnerChoice choice(JobSpec spec) {
        return RunnerChoice.WILLING;
    }

    /**
     * Writes the trainer's input files into the context's workdir and returns how to launch it. Called once
     * per attempt; must not start processes.
     *
     * @param spec the job's spec (dataset paths absolute)
     * @param context where and how this attempt runs
     * @return the launch plan
     * @throws IOException when the files cannot be written
     * @throws dev.koder.training.api.TrainerFailedException when the trainer cannot run here (a missing
     *     package, no CUDA for a GPU job), with its classified cause
     */
    LaunchPlan prepare(JobSpec spec, RunContext context) throws IOException;

    /**
     * Names the cause of a failed attempt the trainer did not report itself, from how it exited and what it
     * wrote to stderr (a Python traceback, a CUDA message). Called only when the trainer wrote no {@code
     * error} event; the service falls back to a generic classification when this returns empty.
     *
     * @param exit how the trainer ended
     * @param stderrTail the last lines of its stderr, oldest first
     * @return the failure, or empty to leave it to the service
     */
    default Optional<JobFailure> classifyFailure(ExitStatus exit, List<String> stderrTail) {
        return Optional.empty();
    }

    /**
     * The tool that merges this runner's adapters into their base models, for exports that serving loads as a whole
     * model. Runners whose environment has PEFT offer one; the default offers none.
     *
     * @return the merger, if this runner has one
     */
    default Optional<AdapterMerger> merger() {
        return Optional.empty();
    }

    /**
     * The tool that scores this runner's checkpoints on held-out data on demand. Runners whose environment has the
     * model libraries offer one; the default offers none.
     *
     * @return the evaluator, if this runner has one
     */
    default Optional<CheckpointEvaluator> evaluator() {
        return Optional.empty();
    }
}
