package dev.koder.training.slurm;

import dev.koder.training.spi.Executor;
import dev.koder.training.spi.ExecutorProvider;
import dev.koder.training.spi.PluginConfig;

/**
 * The Slurm executor, chosen with {@code training.executor=slurm} (its priority is below the local executor's, so
 * having the module on the class path changes nothing until it is named). Properties: see {@link SlurmSettings}.
 */
public final class SlurmExecutorProvider implements ExecutorProvider {

    @Override
    public String name() {
        return "slurm";
    }

    @Override
    public int priority() {
        return -200;
    }

    @Override
    public Executor create(PluginConfig config) {
        return SlurmExecutor.create(SlurmSettings.from(config), config.home());
    }
}
