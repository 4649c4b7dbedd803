package dev.koder.training.spi;

/**
 * Creates a {@link TrackingStateStore}; listed in
 * {@code META-INF/services/dev.koder.training.spi.TrackingStateStoreProvider}. A store module provides one of the same
 * name as its job store, which the service then uses.
 */
public interface TrackingStateStoreProvider extends Provider<TrackingStateStore> {
}
