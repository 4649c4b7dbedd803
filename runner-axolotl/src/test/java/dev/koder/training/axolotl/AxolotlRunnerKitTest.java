package dev.koder.training.axolotl;

import dev.koder.training.api.AdapterType;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.TrainingMethod;
import dev.koder.training.spi.MethodKind;
import dev.koder.training.spi.TrainingRunner;
import dev.koder.training.tck.RunnerCompatibilityKit;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The axolotl runner against the runner compatibility kit, launching the stand-in axolotl (axolotl cannot be
 * installed here): the real config, data, plugin and events module, run by a Python that has the stand-in.
 */
class AxolotlRunnerKitTest extends RunnerCompatibilityKit {

    @Override
    protected TrainingRunner newRunner() {
        return StandIn.get().runner(dir.resolve("home"));
    }

    @Override
    protected JobSpec spec(Path dir, TrainingMethod method) {
        return StandIn.get().spec(method, 3).build();
    }

    @Override
    protected boolean supportsLocalRun() {
        return true;
    }

    @Override
    protected Set<MethodKind> methodsRunnableHere() {
        // No CUDA here, so no QLoRA.
        return runner.capabilities().methods().stream().filter(k -> k.adapter() != AdapterType.QLORA)
                .collect(Collectors.toSet());
    }

    @Override
    protected Duration localRunTimeout() {
        return Duration.ofMinutes(5);
    }
}
