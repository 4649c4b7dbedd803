package dev.koder.training.blob;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.koder.training.spi.BlobStore;
import dev.koder.training.tck.BlobStoreCompatibilityKit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The S3 store against a real S3 API server in this JVM (S3Proxy on a local folder). */
class S3BlobStoreTest extends BlobStoreCompatibilityKit {

    static final long PART = 5L * 1024 * 1024;

    S3Server server;

    @Override
    protected BlobStore openStore(Path home) throws IOException {
        try {
            if (server == null) {
                server = S3Server.start(Files.createDirectories(home.resolveSibling("s3-data")));
            }
        } catch (Exception e) {
            throw new IOException(e);
        }
        return new S3BlobStore(S3Settings.compatible(S3Server.BUCKET, server.endpoint(), S3Server.ACCESS,
                S3Server.SECRET, home.resolve("blob-uploads")).withPartSize(PART));
    }

    @Override
    protected long largeSize() {
        return 2 * PART + 17; // three parts
    }

    @Override
    protected void corrupt(String sha256) throws IOException {
        Path f = server.objectFile("blobs/" + sha256);
        byte[] b = Files.readAllBytes(f);
        b[b.length / 2] ^= 1;
        Files.write(f, b);
    }

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void wrongCredentials_areAClearError() throws Exception {
        try (S3BlobStore wrong = new S3BlobStore(S3Settings.compatible(S3Server.BUCKET, server.endpoint(),
                S3Server.ACCESS, "not-the-secret", dir.resolve("state")))) {
            Path f = file("f", 10, 1);
            assertThatThrownBy(() -> wrong.put(f, sha256(f), n -> { })).isInstanceOf(IOException.class)
                    .hasMessageContaining("s3://checkpoints/blobs").hasMessageContaining("403");
        }
    }

    @Test
    void settingsFromProperties_nameWhatIsMissing() {
        assertThatThrownBy(() -> S3Settings.fromProperties(Map.of(), dir)).hasMessageContaining(
                "training.blob.s3.bucket is required");
        S3Settings s = S3Settings.fromProperties(Map.of("training.blob.s3.bucket", "b", "training.blob.s3.endpoint",
                "http://minio:9000", "training.blob.s3.prefix", "team-a"), dir);
        assertThat(s.pathStyle()).as("an endpoint implies path-style").isTrue();
        assertThat(s.prefix()).isEqualTo("team-a/");
        assertThatThrownBy(() -> S3Settings.fromProperties(Map.of("training.blob.s3.bucket", "b",
                "training.blob.s3.part-size", "1000"), dir)).hasMessageContaining("at least 5 MiB");
    }
}
