package dev.koder.training.spi;

/**
 * Creates an {@link AccessKeyStore}; listed in {@code META-INF/services/dev.koder.training.spi.AccessKeyStoreProvider}.
 * A store module provides one of the same name as its job store, which the service then uses.
 */
public interface AccessKeyStoreProvider extends Provider<AccessKeyStore> {
}
