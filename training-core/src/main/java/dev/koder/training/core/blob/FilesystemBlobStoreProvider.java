package dev.koder.training.core.blob;

import dev.koder.training.api.StorageException;
import dev.koder.training.spi.BlobStore;
import dev.koder.training.spi.BlobStoreProvider;
import dev.koder.training.spi.PluginConfig;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The default blob store: a folder, {@code <home>/blobs} unless {@code training.blob.fs.root} names another.
 * Lowest priority, so any installed store wins.
 */
public final class FilesystemBlobStoreProvider implements BlobStoreProvider {

    /** Property naming the folder. */
    public static final String ROOT_PROPERTY = "training.blob.fs.root";

    @Override
    public String name() {
        return "fs";
    }

    @Override
    public int priority() {
        return -100;
    }

    @Override
    public BlobStore create(PluginConfig config) {
        Path root = config.get(ROOT_PROPERTY).map(Path::of).orElse(config.home().resolve("blobs"));
        try {
            return new FilesystemBlobStore(root);
        } catch (IOException e) {
            throw new StorageException("Cannot use " + root + " for checkpoint blobs: " + e.getMessage(), false, e);
        }
    }
}
