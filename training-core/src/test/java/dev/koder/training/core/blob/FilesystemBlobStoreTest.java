package dev.koder.training.core.blob;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.spi.BlobStore;
import dev.koder.training.tck.BlobStoreCompatibilityKit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class FilesystemBlobStoreTest extends BlobStoreCompatibilityKit {

    FilesystemBlobStore fs;

    @Override
    protected BlobStore openStore(Path home) throws IOException {
        fs = new FilesystemBlobStore(home.resolve("blobs"));
        return fs;
    }

    @Override
    protected void corrupt(String sha256) throws IOException {
        Path p = fs.pathOf(sha256);
        byte[] b = Files.readAllBytes(p);
        b[b.length / 2] ^= 1;
        Files.write(p, b);
    }

    @Test
    void blobsAreStoredUnderTheirDigest_andNoPartialFileStays() throws IOException {
        Path f = file("f", 1234, 9);
        String sha = sha256(f);
        store.put(f, sha, n -> { });
        assertThat(dir.resolve("store-home/blobs/" + sha.substring(0, 2) + "/" + sha)).hasSize(1234);
        try (var incoming = Files.list(dir.resolve("store-home/blobs/.incoming"))) {
            assertThat(incoming).isEmpty();
        }
    }
}
