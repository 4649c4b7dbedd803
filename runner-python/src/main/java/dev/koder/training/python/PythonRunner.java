package dev.koder.training.python;

import dev.koder.training.api.JobFailure;
import dev.koder.training.spi.AdapterMerger;
import dev.koder.training.spi.CheckpointEvaluator;
import dev.koder.training.spi.ExitStatus;
import dev.koder.training.spi.TrainingRunner;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What every runner with a Python trainer has in common: its name, its {@link PythonTrainer}, and the failure
 * its trainer's stderr shows. A subclass says what it trains, what it refuses and how it launches.
 */
public abstract class PythonRunner implements TrainingRunner {

    private final String name;
    private final PythonTrainer python;
    private final PythonMerger merger;
    private final PythonEvaluator evaluator;

    /**
     * @param name the runner's name
     * @param python its Python side
     */
    protected PythonRunner(String name, PythonTrainer python) {
        this.name = Objects.requireNonNull(name, "name");
        this.python = Objects.requireNonNull(python, "python");
        this.merger = new PythonMerger(python);
        this.evaluator = new PythonEvaluator(python);
    }

    /** @return the Python side: environment, preflight, helper scripts */
    public PythonTrainer python() {
        return python;
    }

    @Override
    public String name() {
        return name;
    }

    /** Every Python runner's environment has PEFT, so each can merge adapters into their bases. */
    @Override
    public Optional<AdapterMerger> merger() {
        return Optional.of(merger);
    }

    /** Every Python runner's environment has transformers and PEFT, so each can score language-model checkpoints. */
    @Override
    public Optional<CheckpointEvaluator> evaluator() {
        return Optional.of(evaluator);
    }

    @Override
    public Optional<JobFailure> classifyFailure(ExitStatus exit, List<String> stderrTail) {
        return python.classify(exit, stderrTail);
    }
}
