package dev.koder.training.core.blob;

import dev.koder.training.spi.BlobFiles;
import dev.koder.training.spi.BlobStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.LongConsumer;
import java.util.stream.Stream;

/**
 * Blobs in a folder, content-addressed: {@code <root>/<first two hex digits>/<sha256>}. A blob is written to
 * {@code <root>/.incoming/}, hashed as it is copied, synced, and moved into place atomically only when its
 * digest matches, so a crash leaves no partial blob under a key. The default store, in {@code <home>/blobs}.
 */
public final class FilesystemBlobStore implements BlobStore {

    private final Path root;
    private final Path incoming;

    /**
     * @param root the folder, created if absent
     * @throws IOException when it cannot be created
     */
    public FilesystemBlobStore(Path root) throws IOException {
        this.root = root.toAbsolutePath().normalize();
        this.incoming = this.root.resolve(".incoming");
        Files.createDirectories(incoming);
    }

    @Override
    public String location() {
        return root.toString();
    }

    Path pathOf(String sha256) {
        if (!Digests.isSha256(sha256)) {
            throw new IllegalArgumentException("not a blob key (64 lowercase hex digits): " + sha256);
        }
        return root.resolve(sha256.substring(0, 2)).resolve(sha256);
    }

    @Override
    public Blob put(Path file, String sha256, LongConsumer progress) throws IOException {
        Path target = pathOf(sha256);
        long size = Files.size(file);
        if (Files.isRegularFile(target) && Files.size(target) == size) {
            progress.accept(size);
            return new Blob(sha256, size);
        }
        Path temp = incoming.resolve(UUID.randomUUID() + ".part");
        try {
            String actual;
            try (InputStream in = Files.newInputStream(file);
                    OutputStream out = Files.newOutputStream(temp, StandardOpenOption.CREATE_NEW)) {
                actual = Digests.copy(in, out, progress);
            }
            if (!actual.equals(sha256)) {
                throw new BlobIntegrityException(file + " has SHA-256 " + actual + ", not " + sha256
                        + " (was it changed while it was stored?)");
            }
            long copied = Files.size(temp);
            if (copied != size) {
                throw new BlobIntegrityException(file + " changed size while it was stored: " + size + " then "
                        + copied + " bytes");
            }
            try (FileChannel c = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                c.force(true);
            }
            Files.createDirectories(target.getParent());
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException e) {
                // another thread stored the same content first
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot move blobs atomically within " + root, e);
            }
            return new Blob(sha256, size);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    @Override
    public Optional<Blob> stat(String sha256) throws IOException {
        Path p = pathOf(sha256);
        return Files.isRegularFile(p) ? Optional.of(new Blob(sha256, Files.size(p))) : Optional.empty();
    }

    @Override
    public void get(String sha256, Path target, LongConsumer progress) throws IOException {
        Path source = pathOf(sha256);
        if (!Files.isRegularFile(source)) {
            throw new NoSuchFileException(source.toString(), null, "no blob " + sha256 + " in " + root);
        }
        long size = Files.size(source);
        Path parent = target.toAbsolutePath().getParent();
        Path temp = parent.resolve("." + target.getFileName() + "." + UUID.randomUUID() + ".part");
        try {
            String actual;
            try (InputStream in = Files.newInputStream(source);
                    OutputStream out = Files.newOutputStream(temp, StandardOpenOption.CREATE_NEW)) {
                actual = Digests.copy(in, out, progress);
            }
            BlobFiles.verifyAndMove(temp, actual, target, sha256, size, root.toString());
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(target);
            throw e;
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    @Override
    public boolean delete(String sha256) throws IOException {
        return Files.deleteIfExists(pathOf(sha256));
    }

    @Override
    public List<String> keys() throws IOException {
        List<String> keys = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(root)) {
            for (Path d : (Iterable<Path>) dirs::iterator) {
                if (!Files.isDirectory(d) || d.getFileName().toString().length() != 2) {
                    continue;
                }
                try (Stream<Path> files = Files.list(d)) {
                    files.map(f -> f.getFileName().toString()).filter(Digests::isSha256).forEach(keys::add);
                }
            }
        }
        keys.sort(null);
        return keys;
    }
}
