package dev.koder.training.core.exec;

import dev.koder.training.spi.Executor;
import dev.koder.training.tck.ExecutorCompatibilityKit;

class LocalExecutorTest extends ExecutorCompatibilityKit {

    @Override
    protected Executor newExecutor() {
        return LocalExecutor.create(false);
    }
}
