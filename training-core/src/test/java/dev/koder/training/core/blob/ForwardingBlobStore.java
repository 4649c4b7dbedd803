package dev.koder.training.core.blob;

import dev.koder.training.spi.BlobStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.LongConsumer;

/** A blob store that hands every call to another: tests override the calls they change. */
public class ForwardingBlobStore implements BlobStore {

    protected final BlobStore inner;

    public ForwardingBlobStore(BlobStore inner) {
        this.inner = inner;
    }

    @Override
    public String location() {
        return inner.location();
    }

    @Override
    public Blob put(Path file, String sha256, LongConsumer progress) throws IOException {
        return inner.put(file, sha256, progress);
    }

    @Override
    public Optional<Blob> stat(String sha256) throws IOException {
        return inner.stat(sha256);
    }

    @Override
    public void get(String sha256, Path target, LongConsumer progress) throws IOException {
        inner.get(sha256, target, progress);
    }

    @Override
    public boolean delete(String sha256) throws IOException {
        return inner.delete(sha256);
    }

    @Override
    public List<String> keys() throws IOException {
        return inner.keys();
    }
}
