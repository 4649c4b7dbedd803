package dev.koder.training.spi;

import dev.koder.training.api.AccessKeys;

/**
 * Where tenants and their API keys are kept: every instance that shares it accepts a key made through any of them,
 * and refuses a revoked one from the next request on. Implementations keep only a digest of each secret.
 *
 * <p>The compatibility kit {@code AccessKeyStoreCompatibilityKit} in training-tck checks an implementation.
 */
public interface AccessKeyStore extends AccessKeys, AutoCloseable {

    /** Releases connections. */
    @Override
    void close();
}
