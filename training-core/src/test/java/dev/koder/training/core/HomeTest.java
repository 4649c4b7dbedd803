package dev.koder.training.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.koder.training.api.StorageException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A home directory that cannot be used ends in one clear message and nothing half-written. */
class HomeTest {

    @TempDir
    Path dir;

    @Test
    void aHomeThatIsAFile_isRefused() throws Exception {
        Path file = dir.resolve("home");
        Files.writeString(file, "not a folder");
        assertThatThrownBy(() -> Training.builder().home(file).build()).isInstanceOf(StorageException.class)
                .hasMessage("Cannot use " + file + " as the home directory: it is a file, not a folder.");
        assertThat(Files.readString(file)).isEqualTo("not a folder");
    }

    @Test
    void aHomeUnderAFile_cannotBeCreated() throws Exception {
        Files.writeString(dir.resolve("file"), "x");
        Path home = dir.resolve("file/home");
        assertThatThrownBy(() -> Training.builder().home(home).build()).isInstanceOf(StorageException.class)
                .hasMessageStartingWith("Cannot create the home directory " + home);
    }

    @Test
    void aHomeWhereNobodyMayWrite_isRefused_evenForRoot() {
        // /proc is read-only for every user, root included, so this holds wherever the tests run.
        Path home = Path.of("/proc/training-home-" + ProcessHandle.current().pid());
        assertThatThrownBy(() -> Training.builder().home(home).build()).isInstanceOf(StorageException.class)
                .hasMessageStartingWith("Cannot create the home directory " + home + ": ");
        assertThat(home).doesNotExist();
    }

    @Test
    void aCorruptDatabase_isRefused_leftAsItWas_andNoJobFolderIsMade() throws Exception {
        Path home = dir.resolve("home");
        Files.createDirectories(home);
        Files.write(home.resolve("training.db"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17});
        assertThatThrownBy(() -> Training.builder().home(home).build()).isInstanceOf(StorageException.class)
                .hasMessageContaining("training.db is not a SQLite database");
        assertThat(Files.size(home.resolve("training.db"))).isEqualTo(17);
        try (var list = Files.list(home)) {
            assertThat(list.map(p -> p.getFileName().toString())).containsExactly("training.db");
        }
    }

    @Test
    void aForeignDatabase_isRefused() throws Exception {
        Path home = dir.resolve("home");
        Files.createDirectories(home);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + home.resolve("training.db"));
                Statement s = c.createStatement()) {
            s.executeUpdate("CREATE TABLE notes (text TEXT)");
        }
        assertThatThrownBy(() -> Training.builder().home(home).build()).isInstanceOf(StorageException.class)
                .hasMessageContaining("is a SQLite database of another application");
    }
}
