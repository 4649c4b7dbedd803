package dev.koder.training.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.koder.training.spi.BlobStore;
import dev.koder.training.spi.BlobStore.Blob;
import dev.koder.training.spi.BlobStore.BlobIntegrityException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every {@link BlobStore} must do. Extend it and implement {@link #openStore(Path)} and
 * {@link #corrupt(String)}.
 */
public abstract class BlobStoreCompatibilityKit {

    /** A folder for the test's own files (not the store's). */
    @TempDir
    protected Path dir;

    /** The store under test. */
    protected BlobStore store;

    /**
     * @param home a folder the store may use
     * @return a store; one opened again on the same folder must see the same blobs
     */
    protected abstract BlobStore openStore(Path home) throws IOException;

    /**
     * Changes the stored bytes of a blob behind the store's back (same size, other content), so the kit can
     * check that reading it fails.
     *
     * @param sha256 the blob
     */
    protected abstract void corrupt(String sha256) throws IOException;

    /** @return a size that makes the store split an upload into several parts, if it ever does */
    protected long largeSize() {
        return 3 * 1024 * 1024 + 17;
    }

    @BeforeEach
    void openIt(TestReporter reporter) throws IOException {
        store = openStore(dir.resolve("store-home"));
        reporter.publishEntry("implementation", store.getClass().getName());
    }

    @AfterEach
    void closeIt() {
        store.close();
    }

    /** @return a file of random bytes of that size */
    protected Path file(String name, long size, long seed) throws IOException {
        Path f = dir.resolve(name);
        Random r = new Random(seed);
        byte[] chunk = new byte[64 * 1024];
        try (var out = Files.newOutputStream(f)) {
            for (long left = size; left > 0; left -= chunk.length) {
                r.nextBytes(chunk);
                out.write(chunk, 0, (int) Math.min(chunk.length, left));
            }
        }
        return f;
    }

    /** @return the file's SHA-256, lowercase hex */
    protected static String sha256(Path f) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            try (var in = Files.newInputStream(f)) {
                byte[] b = new byte[64 * 1024];
                for (int n; (n = in.read(b)) > 0;) {
                    md.update(b, 0, n);
                }
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void blobsOfEverySize_goInAndComeOutTheSame() throws IOException {
        for (long size : new long[] {0, 1, 65_537, largeSize()}) {
            Path f = file("f-" + size, size, size);
            String sha = sha256(f);
            AtomicLong sent = new AtomicLong();
            Blob b = store.put(f, sha, n -> sent.accumulateAndGet(n, Math::max));
            assertThat(b).isEqualTo(new Blob(sha, size));
            assertThat(sent.get()).as("progress of %d bytes", size).isEqualTo(size);
            assertThat(store.stat(sha)).contains(b);
            Path back = dir.resolve("back-" + size);
            store.get(sha, back, n -> { });
            assertThat(Files.size(back)).isEqualTo(size);
            assertThat(sha256(back)).isEqualTo(sha);
        }
    }

    @Test
    void aBlobStoredTwice_isOneBlob_andAStoreOpenedAgainSeesIt() throws IOException {
        Path f = file("f", 100_000, 1);
        String sha = sha256(f);
        store.put(f, sha, n -> { });
        store.put(f, sha, n -> { });
        assertThat(store.keys()).containsExactly(sha);
        store.close();
        store = openStore(dir.resolve("store-home"));
        assertThat(store.stat(sha)).contains(new Blob(sha, 100_000));
    }

    @Test
    void contentThatDoesNotMatchItsKey_isRefused_andNothingIsStored() throws IOException {
        Path f = file("f", 10_000, 2);
        String wrong = "0".repeat(64);
        assertThatThrownBy(() -> store.put(f, wrong, n -> { })).isInstanceOf(BlobIntegrityException.class)
                .hasMessageContaining(wrong);
        assertThat(store.stat(wrong)).isEmpty();
        assertThat(store.keys()).isEmpty();
    }

    @Test
    void readingACorruptedBlob_fails_andLeavesNoFileBehind() throws IOException {
        Path f = file("f", 50_000, 3);
        String sha = sha256(f);
        store.put(f, sha, n -> { });
        corrupt(sha);
        Path target = dir.resolve("out/target.bin");
        Files.createDirectories(target.getParent());
        assertThatThrownBy(() -> store.get(sha, target, n -> { })).isInstanceOf(BlobIntegrityException.class)
                .hasMessageContaining(sha);
        assertThat(target).doesNotExist();
    }

    @Test
    void anUnknownBlob_isNotFound() throws IOException {
        String unknown = "a".repeat(64);
        assertThat(store.stat(unknown)).isEmpty();
        assertThatThrownBy(() -> store.get(unknown, dir.resolve("x"), n -> { })).isInstanceOf(NoSuchFileException.class);
        assertThat(store.delete(unknown)).isFalse();
    }

    @Test
    void deleting_removesTheBlob() throws IOException {
        Path f = file("f", 1_000, 4);
        String sha = sha256(f);
        store.put(f, sha, n -> { });
        assertThat(store.delete(sha)).isTrue();
        assertThat(store.stat(sha)).isEmpty();
        assertThat(store.keys()).isEmpty();
        assertThat(store.delete(sha)).isFalse();
    }

    @Test
    void eightThreadsStoringTheSameContent_allSucceed_withOneBlob() throws Exception {
        Path f = file("f", largeSize(), 5);
        String sha = sha256(f);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Blob>> all = new ArrayList<>();
        try {
            for (int i = 0; i < 8; i++) {
                all.add(pool.submit(() -> {
                    go.await();
                    return store.put(f, sha, n -> { });
                }));
            }
            go.countDown();
            for (Future<Blob> b : all) {
                assertThat(b.get(120, TimeUnit.SECONDS)).isEqualTo(new Blob(sha, largeSize()));
            }
        } finally {
            pool.shutdown();
        }
        assertThat(store.keys()).containsExactly(sha);
        Path back = dir.resolve("back");
        store.get(sha, back, n -> { });
        assertThat(sha256(back)).isEqualTo(sha);
    }
}
