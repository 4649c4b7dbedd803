package dev.koder.training.blob;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.koder.training.blob.FaultyProxy.Fault;
import dev.koder.training.blob.FaultyProxy.Kind;
import dev.koder.training.spi.BlobStore.Blob;
import dev.koder.training.spi.BlobStore.BlobIntegrityException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The S3 store through a proxy that breaks requests on purpose: 500 and 503 answers, connections dropped in
 * the middle of an upload, bits flipped on the way, a server slower than the timeout, and an upload that gives
 * up and is resumed later. Every blob either arrives whole or is not there at all.
 */
class S3FaultsTest {

    static final long PART = 5L * 1024 * 1024;

    @TempDir
    Path dir;

    S3Server server;
    FaultyProxy proxy;
    S3BlobStore store;
    Path file;
    String sha;

    S3Settings settings() {
        return S3Settings.compatible(S3Server.BUCKET, proxy.endpoint(), S3Server.ACCESS, S3Server.SECRET,
                dir.resolve("state")).withPartSize(PART);
    }

    @BeforeEach
    void start() throws Exception {
        server = S3Server.start(Files.createDirectories(dir.resolve("s3")));
        proxy = new FaultyProxy(server.endpoint());
        store = new S3BlobStore(settings());
        file = dir.resolve("model.safetensors");
        byte[] bytes = new byte[(int) (3 * PART + 1234)];
        new Random(7).nextBytes(bytes);
        Files.write(file, bytes);
        sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    @AfterEach
    void stop() throws Exception {
        store.close();
        proxy.close();
        server.close();
    }

    void roundTrip() throws IOException {
        assertThat(store.put(file, sha, n -> { })).isEqualTo(new Blob(sha, Files.size(file)));
        Path back = dir.resolve("back.bin");
        store.get(sha, back, n -> { });
        assertThat(Files.mismatch(file, back)).isEqualTo(-1L);
    }

    @Test
    void answers500And503_areRetried() throws IOException {
        proxy.plan(new Fault(Kind.ERROR_503, "POST", "uploads"), new Fault(Kind.ERROR_500, "PUT", "partNumber=2"),
                new Fault(Kind.ERROR_503, "PUT", "partNumber=3"), new Fault(Kind.ERROR_503, "PUT", "partNumber=3"),
                new Fault(Kind.ERROR_500, "POST", "uploadId"), new Fault(Kind.ERROR_503, "GET", ""),
                new Fault(Kind.ERROR_500, "HEAD", ""));
        roundTrip();
        assertThat(proxy.pending()).as("every planned fault happened").isZero();
        assertThat(proxy.injected()).isEqualTo(7);
    }

    @Test
    void connectionsDroppedMidUpload_areRetried() throws IOException {
        proxy.plan(new Fault(Kind.DROP_MID_BODY, "PUT", "partNumber=1"),
                new Fault(Kind.DROP_MID_BODY, "PUT", "partNumber=4"),
                new Fault(Kind.DROP_MID_BODY, "PUT", "partNumber=4"));
        roundTrip();
        assertThat(proxy.pending()).isZero();
    }

    @Test
    void bitsFlippedOnTheWay_areRefusedByTheServer_andSentAgain() throws IOException {
        proxy.plan(new Fault(Kind.CORRUPT_BODY, "PUT", "partNumber=2"));
        roundTrip();
        assertThat(proxy.pending()).isZero();
    }

    @Test
    void aServerSlowerThanTheTimeout_isRetried() throws IOException {
        store.close();
        store = new S3BlobStore(settings().withTimeout(Duration.ofMillis(800)));
        proxy.slowBy(Duration.ofMillis(2000));
        proxy.plan(new Fault(Kind.SLOW, "PUT", "partNumber=3"), new Fault(Kind.SLOW, "GET", ""));
        roundTrip();
        assertThat(proxy.pending()).isZero();
    }

    @Test
    void anUploadThatGivesUp_leavesNothingVisible_andResumesWithTheMissingPartsOnly() throws IOException {
        store.close();
        store = new S3BlobStore(settings().withMaxAttempts(2));
        for (int i = 0; i < 12; i++) {
            proxy.plan(new Fault(Kind.ERROR_500, "PUT", "partNumber=3"));
        }
        assertThatThrownBy(() -> store.put(file, sha, n -> { })).isInstanceOf(IOException.class)
                .hasMessageContaining("it resumes when the blob is stored again");
        assertThat(store.stat(sha)).as("no object under the key").isEmpty();
        assertThat(store.keys()).isEmpty();
        assertThat(dir.resolve("state").resolve(sha + ".upload")).exists();

        // A new process (a new store on the same state folder) finishes the upload.
        store.close();
        proxy.close();
        proxy = new FaultyProxy(server.endpoint());
        store = new S3BlobStore(settings());
        assertThat(store.put(file, sha, n -> { })).isEqualTo(new Blob(sha, Files.size(file)));
        assertThat(proxy.partUploads()).as("only part 3 is sent again").isEqualTo(1);
        assertThat(dir.resolve("state").resolve(sha + ".upload")).doesNotExist();
        Path back = dir.resolve("back.bin");
        store.get(sha, back, n -> { });
        assertThat(Files.mismatch(file, back)).isEqualTo(-1L);
    }

    @Test
    void aFileChangedDuringTheUpload_isRefused_andNothingIsVisible() throws IOException {
        String other = "1".repeat(64);
        assertThatThrownBy(() -> store.put(file, other, n -> { })).isInstanceOf(
                BlobIntegrityException.class).hasMessageContaining(other);
        assertThat(store.stat(other)).isEmpty();
        assertThat(dir.resolve("state").resolve(other + ".upload")).doesNotExist();
    }
}
