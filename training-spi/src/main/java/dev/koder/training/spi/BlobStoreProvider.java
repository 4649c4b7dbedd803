package dev.koder.training.spi;

/** Creates a {@link BlobStore}; listed in {@code META-INF/services/dev.koder.training.spi.BlobStoreProvider}. */
public interface BlobStoreProvider extends Provider<BlobStore> {
}
