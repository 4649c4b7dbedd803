package dev.koder.training.core;

import dev.koder.training.tck.ScriptedRunner;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.TrainingMethod;
import dev.koder.training.spi.TrainingRunner;
import dev.koder.training.tck.RunnerCompatibilityKit;
import java.nio.file.Path;
import java.util.Map;

/** The test runner passes the runner kit, which keeps the kit itself honest until real runners arrive. */
class ScriptedRunnerKitTest extends RunnerCompatibilityKit {

    @Override
    protected TrainingRunner newRunner() {
        return new ScriptedRunner();
    }

    @Override
    protected JobSpec spec(Path dir, TrainingMethod method) {
        Fixtures fx = new Fixtures(dir);
        JobSpec.Builder b = fx.spec(3, Map.of()).method(method);
        if (method.objective() == dev.koder.training.api.Objective.DPO) {
            b.trainingData(dev.koder.training.api.DatasetRef.of(fx.data, dev.koder.training.api.DatasetFormat.PREFERENCE));
        } else if (method.objective() == dev.koder.training.api.Objective.EMBEDDING) {
            b.trainingData(dev.koder.training.api.DatasetRef.of(fx.data, dev.koder.training.api.DatasetFormat.PAIRS));
        } else if (method.objective() == dev.koder.training.api.Objective.RERANKER) {
            b.trainingData(dev.koder.training.api.DatasetRef.of(fx.data, dev.koder.training.api.DatasetFormat.GROUPS));
        }
        if (method.adapter() == dev.koder.training.api.AdapterType.QLORA) {
            b.resources(dev.koder.training.api.Resources.gpus(1));
        }
        return b.build();
    }

    @Override
    protected boolean supportsLocalRun() {
        return true;
    }
}
