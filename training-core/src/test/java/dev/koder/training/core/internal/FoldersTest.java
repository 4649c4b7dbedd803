package dev.koder.training.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Leftover scratch folders of a killed process go; live ones, and anything else, stay. */
class FoldersTest {

    @TempDir
    Path dir;

    @Test
    void staleScratchFoldersOfThePrefix_areDeleted_freshOnesAndOthersStay() throws Exception {
        Path old = Files.createDirectories(dir.resolve("eval-123/work"));
        Files.writeString(old.resolve("part.json"), "{}");
        Files.setLastModifiedTime(dir.resolve("eval-123"), FileTime.from(Instant.now().minus(Duration.ofDays(2))));
        Path fresh = Files.createDirectories(dir.resolve("eval-456"));
        Path other = Files.createDirectories(dir.resolve("models"));
        Files.setLastModifiedTime(other, FileTime.from(Instant.now().minus(Duration.ofDays(2))));
        Path file = Files.writeString(dir.resolve("eval-notes.txt"), "a file, not a scratch folder");
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().minus(Duration.ofDays(2))));

        assertThat(Folders.deleteStale(dir, "eval-", Duration.ofHours(24))).isEqualTo(1);
        assertThat(dir.resolve("eval-123")).doesNotExist();
        assertThat(fresh).exists();
        assertThat(other).exists();
        assertThat(file).exists();
        assertThat(Folders.deleteStale(dir.resolve("absent"), "eval-", Duration.ofHours(24))).isZero();
    }
}
