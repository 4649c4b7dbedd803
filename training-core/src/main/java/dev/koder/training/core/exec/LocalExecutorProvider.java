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
        boolean kill = !"false".equals(config.get("training.executor.kill-on-exit").orElse("true"));
        String limit = config.get(LocalExecutor.MEMORY_LIMIT_PROPERTY).map(String::strip).orElse("");
        if (limit.isEmpty()) {
            return LocalExecutor.create(kill);
        }
        double gib;
        try {
            gib = Double.parseDouble(limit);
        } catch (NumberFormatException e) {
            gib = -1;
        }
        if (!(gib > 0)) {
            throw new IllegalArgumentException(LocalExecutor.MEMORY_LIMIT_PROPERTY + " must be a number of GiB above "
                    + "0, such as 24 or 1.5, got '" + limit + "'");
        }
        return LocalExecutor.create(kill, (long) (gib * (1L << 30)));
    }
}
