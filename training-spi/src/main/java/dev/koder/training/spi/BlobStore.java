package dev.koder.training.spi;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.LongConsumer;

/**
 * Where checkpoint files live: content-addressed blobs, each under its SHA-256. Storing a blob that is
 * already there is cheap and safe; a blob is visible only once it is completely stored and verified, so a
 * crash leaves either no blob or a whole one. Implementations are thread-safe. The compatibility kit
 * {@code BlobStoreCompatibilityKit} in training-tck checks an implementation.
 */
public interface BlobStore extends AutoCloseable {

    /** @return where blobs go, for messages: {@code /var/lib/training/blobs}, {@code s3://bucket/prefix} */
    String location();

    /**
     * Stores a file as the blob of its content, unless that blob is already stored.
     *
     * @param file the file
     * @param sha256 its SHA-256 (lowercase hex), computed by the caller; the store refuses content that does
     *     not match it
     * @param progress told how many bytes were sent so far (may be called from several threads)
     * @return the stored blob
     * @throws IOException when it cannot be stored; nothing is visible under the key then
     * @throws BlobIntegrityException when the content does not match {@code sha256} or its size changed
     */
    Blob put(Path file, String sha256, LongConsumer progress) throws IOException;

    /** @param sha256 a blob's key @return the blob, when it is stored */
    Optional<Blob> stat(String sha256) throws IOException;

    /**
     * Copies a blob into a file, replacing it, and verifies its size and SHA-256 before it returns.
     *
     * @param sha256 the blob's key
     * @param target where to write it; on any failure the file is removed
     * @param progress told how many bytes were received so far
     * @throws IOException when it cannot be read, or when no blob has this key ({@link java.nio.file.NoSuchFileException})
     * @throws BlobIntegrityException when what was read does not match the blob's size or SHA-256
     */
    void get(String sha256, Path target, LongConsumer progress) throws IOException;

    /** @param sha256 a blob's key @return whether it was there and is now deleted */
    boolean delete(String sha256) throws IOException;

    /** @return the keys of every stored blob (for finding blobs nothing refers to) */
    List<String> keys() throws IOException;

    @Override
    default void close() {
    }

    /**
     * A stored blob.
     *
     * @param sha256 its key: the SHA-256 of its content, lowercase hex
     * @param size its size in bytes
     */
    record Blob(String sha256, long size) {
    }

    /** The bytes are not the ones expected: a size or a digest does not match. */
    final class BlobIntegrityException extends IOException {
        private static final long serialVersionUID = 1L;

        /** @param message what did not match, with both values */
        public BlobIntegrityException(String message) {
            super(message);
        }
    }
}
