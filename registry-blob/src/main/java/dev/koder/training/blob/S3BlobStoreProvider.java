package dev.koder.training.blob;

import dev.koder.training.api.StorageException;
import dev.koder.training.spi.BlobStore;
import dev.koder.training.spi.BlobStoreProvider;
import dev.koder.training.spi.PluginConfig;
import java.io.IOException;

/**
 * The S3 blob store, named {@code s3}: chosen with {@code training.blob=s3} and configured with
 * {@code training.blob.s3.*} (see {@link S3Settings#fromProperties}).
 */
public final class S3BlobStoreProvider implements BlobStoreProvider {

    @Override
    public String name() {
        return "s3";
    }

    @Override
    public int priority() {
        // Installed but not configured, the filesystem store stays the default: pick s3 by name.
        return -200;
    }

    @Override
    public BlobStore create(PluginConfig config) {
        S3Settings settings = S3Settings.fromProperties(config.properties(), config.home());
        try {
            return new S3BlobStore(settings);
        } catch (IOException e) {
            throw new StorageException("Cannot use S3 for checkpoint blobs: " + e.getMessage(), false, e);
        }
    }
}
