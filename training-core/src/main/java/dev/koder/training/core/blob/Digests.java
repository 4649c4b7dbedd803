package dev.koder.training.core.blob;

import dev.koder.training.spi.BlobFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.function.LongConsumer;

/** SHA-256 of files and streams, in one place. */
public final class Digests {

    private static final int BUFFER = 1 << 20;

    private Digests() {
    }

    /** @return a new SHA-256 digest */
    public static MessageDigest sha256() {
        return BlobFiles.sha256();
    }

    /** @param file a file @return its SHA-256, lowercase hex */
    public static String sha256(Path file) throws IOException {
        return BlobFiles.sha256(file);
    }

    /**
     * Copies a stream, hashing what passes.
     *
     * @param in the source
     * @param out where to write, or null to only hash
     * @param progress told the bytes copied so far
     * @return the SHA-256 of what was copied, lowercase hex
     */
    public static String copy(InputStream in, OutputStream out, LongConsumer progress) throws IOException {
        MessageDigest md = sha256();
        byte[] buffer = new byte[BUFFER];
        long total = 0;
        for (int n; (n = in.read(buffer)) > 0;) {
            md.update(buffer, 0, n);
            if (out != null) {
                out.write(buffer, 0, n);
            }
            total += n;
            progress.accept(total);
        }
        return hex(md.digest());
    }

    /** @param digest bytes @return lowercase hex */
    public static String hex(byte[] digest) {
        return HexFormat.of().formatHex(digest);
    }

    /** @param key a candidate blob key @return whether it is 64 lowercase hex digits */
    public static boolean isSha256(String key) {
        return key != null && key.length() == 64 && key.chars().allMatch(c -> c >= '0' && c <= '9' || c >= 'a' && c <= 'f');
    }
}
