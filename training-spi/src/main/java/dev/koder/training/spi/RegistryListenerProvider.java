package dev.koder.training.spi;

/** Makes a {@link RegistryListener} for {@code ServiceLoader}; every one found is used. */
public interface RegistryListenerProvider extends Provider<RegistryListener> {
}
