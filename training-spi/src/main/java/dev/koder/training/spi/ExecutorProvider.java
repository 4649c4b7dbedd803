package dev.koder.training.spi;

/** Creates an {@link Executor}; listed in {@code META-INF/services/dev.koder.training.spi.ExecutorProvider}. */
public interface ExecutorProvider extends Provider<Executor> {
}
