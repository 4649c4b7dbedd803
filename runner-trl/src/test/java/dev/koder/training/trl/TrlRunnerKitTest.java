package dev.koder.training.trl;

import dev.koder.training.api.AdapterType;
import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.Objective;
import dev.koder.training.api.Resources;
import dev.koder.training.api.TrainingMethod;
import dev.koder.training.spi.MethodKind;
import dev.koder.training.spi.TrainingRunner;
import dev.koder.training.tck.RunnerCompatibilityKit;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;

/** runner-trl passes the runner compatibility kit, running TRL for real on the tiny model. */
class TrlRunnerKitTest extends RunnerCompatibilityKit {

    @Override
    protected TrainingRunner newRunner() {
        return TinyWorld.get().runner;
    }

    @Override
    protected JobSpec spec(Path dir, TrainingMethod method) {
        TinyWorld w = TinyWorld.get();
        JobSpec.Builder b = w.sft(4).method(method);
        if (method.objective() == Objective.DPO) {
            b.trainingData(DatasetRef.of(TinyWorld.PREFS, DatasetFormat.PREFERENCE));
        }
        if (method.adapter() == AdapterType.QLORA) {
            b.resources(Resources.gpus(1));
        }
        return b.build();
    }

    /** QLoRA needs CUDA and bitsandbytes, which the managed CPU environment does not have. */
    @Override
    protected Set<MethodKind> methodsRunnableHere() {
        return runner.capabilities().methods().stream().filter(k -> k.adapter() != AdapterType.QLORA)
                .collect(Collectors.toSet());
    }

    @Override
    protected boolean supportsLocalRun() {
        return true;
    }
}
