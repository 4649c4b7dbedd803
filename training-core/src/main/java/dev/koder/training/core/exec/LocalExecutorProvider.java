package dev.koder.training.core.exec;

import dev.koder.training.spi.Executor;
import dev.koder.training.spi.ExecutorProvider;
import dev.koder.training.spi.PluginConfig;

/** The default executor: local processes. Lowest priority, so any installed executor wins. */
public final class LocalExecutorProvider implements ExecutorProvider {

    @Override
    public String name() {
        return "local";
    }

    @Override
    public int priority() {
        return -100;
    }

    @Override
    public Executor create(PluginConfig config) {
        return LocalExecutor.create(!"false".equals(config.get("training.executor.kill-on-exit").orElse("true")));
    }
}
