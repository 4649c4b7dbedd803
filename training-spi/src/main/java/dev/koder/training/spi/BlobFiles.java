package dev.koder.training.spi;

import dev.koder.training.spi.BlobStore.BlobIntegrityException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** What {@link BlobStore} implementations share: hashing files and putting a verified download in place. */
public final class BlobFiles {

    private BlobFiles() {
    }

    /** @return a new SHA-256 digest */
    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }

    /** @param file a file @return its SHA-256, lowercase hex */
    public static String sha256(Path file) throws IOException {
        MessageDigest md = sha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 20];
            for (int n; (n = in.read(buffer)) > 0;) {
                md.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /**
     * Moves a downloaded blob into place if it is the blob: its size and SHA-256 match.
     *
     * @param temp the downloaded file
     * @param actual its SHA-256
     * @param target where it goes (replaced)
     * @param sha256 the blob's key
     * @param size the blob's size
     * @param where the store, for the message
     * @throws BlobIntegrityException when it does not match; nothing is moved
     */
    public static void verifyAndMove(Path temp, String actual, Path target, String sha256, long size, String where)
            throws IOException {
        long got = Files.size(temp);
        if (got != size || !actual.equals(sha256)) {
            throw new BlobIntegrityException("blob " + sha256 + " in " + where + " is corrupt: read " + got
                    + " bytes with SHA-256 " + actual);
        }
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
