package dev.koder.training.core.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Whole folders on disk. */
public final class Folders {

    private Folders() {
    }

    /**
     * Deletes a folder and everything in it; nothing when it does not exist.
     *
     * @param root the folder (or a file)
     * @throws IOException when something in it cannot be deleted
     */
    public static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /**
     * Deletes the scratch folders a killed process left: those in a folder whose names start with a prefix and that
     * nothing changed for a while (a live one is newer). Best effort: what cannot be deleted stays, with a warning.
     *
     * @param dir the folder that holds them; nothing when it does not exist
     * @param prefix the start of their names, for example {@code eval-}
     * @param olderThan how long since a leftover last changed
     * @return how many were deleted
     */
    public static int deleteStale(Path dir, String prefix, java.time.Duration olderThan) {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        java.time.Instant before = java.time.Instant.now().minus(olderThan);
        int deleted = 0;
        try (Stream<Path> list = Files.list(dir)) {
            for (Path p : list.filter(p -> p.getFileName().toString().startsWith(prefix)).toList()) {
                try {
                    if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                            && Files.getLastModifiedTime(p).toInstant().isBefore(before)) {
                        deleteTree(p);
                        deleted++;
                    }
                } catch (IOException e) {
                    org.slf4j.LoggerFactory.getLogger(Folders.class).warn("cannot delete the leftover {}: {}", p,
                            e.toString());
                }
            }
        } catch (IOException e) {
            org.slf4j.LoggerFactory.getLogger(Folders.class).warn("cannot list {} for leftovers: {}", dir,
                    e.toString());
        }
        return deleted;
    }
}
