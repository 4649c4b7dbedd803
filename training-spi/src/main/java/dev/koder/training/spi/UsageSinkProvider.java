package dev.koder.training.spi;

/**
 * Creates a {@link UsageSink}; listed in {@code META-INF/services/dev.koder.training.spi.UsageSinkProvider}. Every
 * usage sink found is used.
 */
public interface UsageSinkProvider extends Provider<UsageSink> {
}
