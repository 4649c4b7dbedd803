package dev.koder.training.server;

import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.Checkpoints;
import io.javalin.http.Context;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Sends files byte for byte: never compressed (a body whose length is declared must not be gzipped under it),
 * with its SHA-256 in {@code X-Checksum-Sha256} and {@code Digest}, and HTTP Range for resuming large files.
 * Checkpoint files come from a copy the registry verified (every file's size and SHA-256) the first time one was
 * asked for, kept under {@code <home>/server-downloads/}.
 */
final class Downloads {

    private final Path cache;
    private final Map<String, Object> locks = new ConcurrentHashMap<>();

    Downloads(Path home) {
        this.cache = home.resolve("server-downloads");
    }

    /**
     * @param ctx the request
     * @param file the file to send
     * @param size its size
     * @param sha256 its SHA-256, hex
     * @param contentType its media type
     */
    static void send(Context ctx, Path file, long size, String sha256, String contentType) throws IOException {
        ctx.disableCompression();
        ctx.header("X-Checksum-Sha256", sha256);
        ctx.header("Digest", "sha-256=" + Base64.getEncoder().encodeToString(HexFormat.of().parseHex(sha256)));
        ctx.header("Accept-Ranges", "bytes");
        ctx.contentType(contentType);
        long from = 0;
        long to = size - 1;
        String range = ctx.header("Range");
        if (range != null && size > 0) {
            java.util.regex.Matcher m = RANGE.matcher(range.strip());
            if (!m.matches() || (m.group(1).isEmpty() && m.group(2).isEmpty())) {
                throw rangeError(size);
            }
            if (m.group(1).isEmpty()) {
                from = Math.max(0, size - Long.parseLong(m.group(2)));
            } else {
                from = Long.parseLong(m.group(1));
                to = m.group(2).isEmpty() ? size - 1 : Math.min(size - 1, Long.parseLong(m.group(2)));
            }
            if (from > to || from >= size) {
                throw rangeError(size);
            }
            ctx.status(206);
            ctx.header("Content-Range", "bytes " + from + "-" + to + "/" + size);
        }
        ctx.header("Content-Length", String.valueOf(to - from + 1));
        java.io.InputStream in = Files.newInputStream(file);
        in.skipNBytes(from);
        ctx.result(new LimitedStream(in, to - from + 1));
    }

    private static final java.util.regex.Pattern RANGE = java.util.regex.Pattern.compile("bytes=(\\d{0,18})-(\\d{0,18})");

    private static ApiError rangeError(long size) {
        return new ApiError(416, "invalid_request_error", "range_not_satisfiable", "Range", "The Range must be "
                + "bytes=FROM-[TO] within the file's " + size + " bytes");
    }

    /** The first bytes of a stream. */
    private static final class LimitedStream extends java.io.FilterInputStream {
        private long left;

        LimitedStream(java.io.InputStream in, long limit) {
            super(in);
            this.left = limit;
        }

        @Override
        public int read() throws IOException {
            if (left <= 0) {
                return -1;
            }
            int b = super.read();
            if (b >= 0) {
                left--;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) {
                return -1;
            }
            int n = super.read(b, off, (int) Math.min(len, left));
            if (n > 0) {
                left -= n;
            }
            return n;
        }
    }

    /**
     * @param checkpoints the registry (the caller's scope)
     * @param c a checkpoint
     * @return a folder holding its verified files
     */
    Path verifiedCopy(Checkpoints checkpoints, Checkpoint c) throws IOException {
        Path dir = cache.resolve(c.id());
        synchronized (locks.computeIfAbsent(c.id(), k -> new Object())) {
            if (!Files.isDirectory(dir)) {
                Path tmp = dir.resolveSibling("." + c.id() + ".partial");
                deleteLeftover(tmp);
                checkpoints.download(c.id(), tmp, n -> { });
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            }
        }
        return dir;
    }

    /** Removes what an interrupted copy left behind. */
    private static void deleteLeftover(Path tmp) throws IOException {
        if (!Files.exists(tmp, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (java.util.stream.Stream<Path> walk = Files.walk(tmp)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
