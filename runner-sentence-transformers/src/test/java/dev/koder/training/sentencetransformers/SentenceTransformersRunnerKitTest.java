package dev.koder.training.sentencetransformers;

import dev.koder.training.api.CheckpointPolicy;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.Objective;
import dev.koder.training.api.TrainingMethod;
import dev.koder.training.spi.TrainingRunner;
import dev.koder.training.tck.RunnerCompatibilityKit;
import java.nio.file.Path;

/**
 * runner-sentence-transformers passes the runner compatibility kit, running sentence-transformers for real on the tiny
 * encoders: the local run is an embedding LoRA job, the stopped-and-resumed one too, with a checkpoint every five
 * steps.
 */
class SentenceTransformersRunnerKitTest extends RunnerCompatibilityKit {

    @Override
    protected TrainingRunner newRunner() {
        return TinyEncoders.get().runner;
    }

    @Override
    protected JobSpec spec(Path dir, TrainingMethod method) {
        TinyEncoders w = TinyEncoders.get();
        return (method.objective() == Objective.EMBEDDING ? w.embedding(1) : w.reranker(1)).method(method).build();
    }

    /** About ninety steps: long enough to be stopped after the first progress event. */
    @Override
    protected JobSpec longSpec(Path dir) {
        return TinyEncoders.get().embedding(6).checkpoints(CheckpointPolicy.everySteps(5, 2)).build();
    }

    @Override
    protected boolean supportsLocalRun() {
        return true;
    }
}
