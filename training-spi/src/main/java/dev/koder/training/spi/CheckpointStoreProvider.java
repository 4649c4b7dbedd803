package dev.koder.training.spi;

/**
 * Creates a {@link CheckpointStore}; listed in {@code META-INF/services/dev.koder.training.spi.CheckpointStoreProvider}.
 * A store module provides one of the same name as its job store, which the service then uses.
 */
public interface CheckpointStoreProvider extends Provider<CheckpointStore> {
}
