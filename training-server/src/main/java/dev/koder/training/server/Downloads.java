package dev.koder.training.server;

import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.Checkpoints;
import dev.koder.training.core.internal.Folders;
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
        ctx.writeSeekableStream(Files.newInputStream(file), contentType, size);
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
                Folders.deleteTree(tmp);
                checkpoints.download(c.id(), tmp, n -> { });
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            }
        }
        return dir;
    }
}
