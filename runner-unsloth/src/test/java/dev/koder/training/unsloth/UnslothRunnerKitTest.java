package dev.koder.training.unsloth;

import dev.koder.training.api.AdapterType;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.TrainingMethod;
import dev.koder.training.spi.MethodKind;
import dev.koder.training.spi.TrainingRunner;
import dev.koder.training.tck.RunnerCompatibilityKit;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;

/** The unsloth runner against the runner compatibility kit, over the stand-in unsloth on the CPU. */
class UnslothRunnerKitTest extends RunnerCompatibilityKit {

    @Override
    protected TrainingRunner newRunner() {
        return new UnslothRunner(UnslothStandIn.get().config(dir.resolve("home")));
    }

    @Override
    protected JobSpec spec(Path dir, TrainingMethod method) {
        return UnslothStandIn.get().spec(method, 3).build();
    }

    @Override
    protected boolean supportsLocalRun() {
        return true;
    }

    @Override
    protected Set<MethodKind> methodsRunnableHere() {
        return runner.capabilities().methods().stream().filter(k -> k.adapter() != AdapterType.QLORA)
                .collect(Collectors.toSet());
    }
}
