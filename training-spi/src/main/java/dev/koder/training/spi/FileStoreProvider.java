package dev.koder.training.spi;

/**
 * Creates a {@link FileStore}; listed in {@code META-INF/services/dev.koder.training.spi.FileStoreProvider}. A store
 * module provides one of the same name as its job store, which the service then uses.
 */
public interface FileStoreProvider extends Provider<FileStore> {
}
