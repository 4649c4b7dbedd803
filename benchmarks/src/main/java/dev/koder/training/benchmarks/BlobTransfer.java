package dev.koder.training.benchmarks;

import dev.koder.training.blob.S3BlobStore;
import dev.koder.training.blob.S3Settings;
import dev.koder.training.core.blob.Digests;
import dev.koder.training.core.blob.FilesystemBlobStore;
import dev.koder.training.spi.BlobStore;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Properties;
import java.util.SplittableRandom;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

/**
 * A large checkpoint file through the blob stores, against copying it on the same disk: hashing it (SHA-256,
 * which registration does once), the filesystem store, and the S3 store against an S3 API server in this JVM
 * (S3Proxy on a folder of the same disk). Each measured round starts from an empty store.
 *
 * <pre>
 * java -Xmx2g -cp "benchmarks/target/benchmarks.jar:$(cat benchmarks/target/classpath.txt)" \
 *     dev.koder.training.benchmarks.BlobTransfer /tmp/blob-bench 2048 3
 * </pre>
 */
public final class BlobTransfer {

    private BlobTransfer() {
    }

    /**
     * @param args work folder, file size in MiB (default 2048), rounds (default 3), S3 part size in MiB (default
     *     16), parts moved at once (default 8)
     */
    public static void main(String[] args) throws Exception {
        Path work = Path.of(args.length > 0 ? args[0] : "/tmp/blob-bench");
        long mib = args.length > 1 ? Long.parseLong(args[1]) : 2048;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        long partMib = args.length > 3 ? Long.parseLong(args[3]) : 16;
        int concurrency = args.length > 4 ? Integer.parseInt(args[4]) : 8;
        Files.createDirectories(work);
        Path file = work.resolve("model-" + mib + "m.safetensors");
        if (!Files.exists(file) || Files.size(file) != mib << 20) {
            write(file, mib << 20);
        }
        long size = Files.size(file);
        System.out.printf(Locale.ROOT, "file: %s, %,d bytes; %d rounds; %d cores; S3 parts of %d MiB, %d at once%n",
                file, size, rounds, Runtime.getRuntime().availableProcessors(), partMib, concurrency);
        String sha = Digests.sha256(file);

        Properties p = new Properties();
        Path s3dir = work.resolve("s3");
        p.setProperty("jclouds.filesystem.basedir", s3dir.toString());
        BlobStoreContext context = ContextBuilder.newBuilder("filesystem").overrides(p).build(BlobStoreContext.class);
        context.getBlobStore().createContainerInLocation(null, "bench");
        S3Proxy proxy = S3Proxy.builder().blobStore(context.getBlobStore()).endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, "bench", "bench-secret").build();
        proxy.start();
        while (!"STARTED".equals(proxy.getState())) {
            Thread.sleep(10);
        }
        try {
            for (int round = 0; round <= rounds; round++) {
                String label = round == 0 ? "warm-up" : "round " + round;
                Path copy = work.resolve("copy.bin");
                Files.deleteIfExists(copy);
                long t = System.nanoTime();
                Files.copy(file, copy, StandardCopyOption.REPLACE_EXISTING);
                fsync(copy);
                double copySeconds = seconds(t);
                Files.delete(copy);

                t = System.nanoTime();
                Digests.sha256(file);
                double hashSeconds = seconds(t);

                deleteTree(work.resolve("fs-store"));
                double[] fs;
                try (BlobStore store = new FilesystemBlobStore(work.resolve("fs-store"))) {
                    fs = upDown(store, file, sha, work.resolve("fs-back.bin"));
                }
                deleteTree(s3dir.resolve("bench").resolve("blobs"));
                double[] s3;
                try (BlobStore store = new S3BlobStore(S3Settings.compatible("bench", URI.create("http://127.0.0.1:"
                        + proxy.getPort()), "bench", "bench-secret", work.resolve("s3-state")).withPartSize(partMib << 20)
                        .withConcurrency(concurrency))) {
                    s3 = upDown(store, file, sha, work.resolve("s3-back.bin"));
                }
                System.out.printf(Locale.ROOT, "%-8s copy %.2f s (%.0f MiB/s) | sha256 %.2f s | fs store up %.2f s, "
                        + "down %.2f s | s3 up %.2f s (%.0f MiB/s, %.2fx copy), down %.2f s (%.0f MiB/s, %.2fx copy)%n",
                        label, copySeconds, mibs(size, copySeconds), hashSeconds, fs[0], fs[1], s3[0],
                        mibs(size, s3[0]), copySeconds / s3[0], s3[1], mibs(size, s3[1]), copySeconds / s3[1]);
            }
        } finally {
            proxy.stop();
            context.close();
        }
    }

    private static double[] upDown(BlobStore store, Path file, String sha, Path back) throws IOException {
        long t = System.nanoTime();
        store.put(file, sha, n -> { });
        double up = seconds(t);
        Files.deleteIfExists(back);
        t = System.nanoTime();
        store.get(sha, back, n -> { });
        double down = seconds(t);
        Files.delete(back);
        return new double[] {up, down};
    }

    private static void write(Path file, long bytes) throws IOException {
        SplittableRandom r = new SplittableRandom(42);
        byte[] chunk = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long left = bytes; left > 0; left -= chunk.length) {
                for (int i = 0; i < chunk.length; i += 8) {
                    long v = r.nextLong();
                    for (int k = 0; k < 8; k++) {
                        chunk[i + k] = (byte) (v >>> (8 * k));
                    }
                }
                out.write(chunk, 0, (int) Math.min(chunk.length, left));
            }
        }
    }

    private static void fsync(Path f) throws IOException {
        try (var c = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.WRITE)) {
            c.force(true);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    private static double mibs(long bytes, double seconds) {
        return bytes / 1048576.0 / seconds;
    }
}
