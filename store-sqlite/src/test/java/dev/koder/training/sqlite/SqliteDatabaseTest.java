package dev.koder.training.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.koder.training.api.StorageException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteDatabaseTest {

    @TempDir
    Path dir;

    @Test
    void freshFile_getsOurApplicationIdAndTheLatestSchema() throws Exception {
        Path db = dir.resolve("training.db");
        try (Connection c = SqliteDatabase.open(db); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("PRAGMA application_id")) {
                assertThat(rs.getInt(1)).isEqualTo(SqliteDatabase.APPLICATION_ID);
            }
            try (ResultSet rs = s.executeQuery("PRAGMA user_version")) {
                assertThat(rs.getInt(1)).isEqualTo(SqliteDatabase.latestVersion());
            }
        }
        SqliteJobStore.open(db, Clock.systemUTC()).close();
    }

    @Test
    void aFileThatIsNotSqlite_isRefused_andLeftExactlyAsItWas() throws Exception {
        Path db = dir.resolve("training.db");
        byte[] junk = "this is a text file, not a database\n".repeat(20).getBytes();
        Files.write(db, junk);
        assertThatThrownBy(() -> SqliteDatabase.open(db)).isInstanceOf(StorageException.class)
                .hasMessageContaining("is not a SQLite database");
        assertThat(Files.readAllBytes(db)).isEqualTo(junk);
        assertThat(dir.resolve("training.db-wal")).doesNotExist();
    }

    @Test
    void anotherApplicationsDatabase_isRefused_andLeftUntouched() throws Exception {
        Path db = dir.resolve("training.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement()) {
            s.executeUpdate("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)");
            s.executeUpdate("INSERT INTO invoices VALUES (1, 9.5)");
        }
        byte[] before = Files.readAllBytes(db);
        assertThatThrownBy(() -> SqliteDatabase.open(db)).isInstanceOf(StorageException.class)
                .hasMessageContaining("of another application");
        assertThat(Arrays.equals(Files.readAllBytes(db), before)).isTrue();
        assertThat(dir.resolve("training.db-wal")).doesNotExist();
    }

    @Test
    void aDatabaseFromANewerSdk_isRefused() throws Exception {
        Path db = dir.resolve("training.db");
        SqliteDatabase.open(db).close();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement()) {
            s.executeUpdate("PRAGMA user_version = 99");
        }
        assertThatThrownBy(() -> SqliteDatabase.open(db)).isInstanceOf(StorageException.class)
                .hasMessageContaining("newer version of the SDK (schema 99");
    }

    @Test
    void aTruncatedDatabase_isReportedAsCorrupt() throws Exception {
        Path db = dir.resolve("training.db");
        try (var store = SqliteJobStore.open(db, Clock.systemUTC())) {
            store.insert(dev.koder.training.tck.Samples.queued("ftjob-1", "acme", java.time.Instant.now()),
                    java.util.List.of());
        }
        Files.deleteIfExists(dir.resolve("training.db-wal"));
        Files.deleteIfExists(dir.resolve("training.db-shm"));
        byte[] all = Files.readAllBytes(db);
        Files.write(db, Arrays.copyOf(all, 1024 + 50));
        assertThatThrownBy(() -> SqliteJobStore.open(db, Clock.systemUTC()).find("ftjob-1"))
                .isInstanceOf(StorageException.class)
                .hasMessageMatching("(?s).*(corrupt|not a database|another application).*");
    }

    @Test
    void aPathThatCannotBeCreated_isRefused_andLeavesNoFile() throws Exception {
        Path notADir = dir.resolve("plain-file");
        Files.writeString(notADir, "x");
        Path db = notADir.resolve("training.db");
        assertThatThrownBy(() -> SqliteDatabase.open(db)).isInstanceOf(StorageException.class)
                .hasMessageContaining("plain-file");
        assertThat(Files.readString(notADir)).isEqualTo("x");
    }
}
