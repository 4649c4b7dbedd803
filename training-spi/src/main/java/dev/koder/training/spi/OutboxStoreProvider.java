package dev.koder.training.spi;

/**
 * Creates an {@link OutboxStore}; listed in {@code META-INF/services/dev.koder.training.spi.OutboxStoreProvider}. A
 * store module provides one of the same name as its job store, which the service then uses.
 */
public interface OutboxStoreProvider extends Provider<OutboxStore> {
}
