package dev.koder.training.sqlite;

import dev.koder.training.api.StorageException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * The embedded SQLite file: opened only if it is ours, migrated to the current schema in one transaction,
 * never touched if it is somebody else's. Marks its files with an application id so a foreign or corrupt
 * file is refused with a clear message before anything is written.
 */
public final class SqliteDatabase {

    /** {@code PRAGMA application_id} of our databases: "KTRN". */
    public static final int APPLICATION_ID = 0x4B54524E;

    /** Schema migrations, in order; index + 1 is the schema version each one produces. */
    static final List<String> MIGRATIONS = List.of(
            "CREATE TABLE jobs ("
                    + " id TEXT PRIMARY KEY,"
                    + " tenant TEXT NOT NULL,"
                    + " status TEXT NOT NULL,"
                    + " created_at TEXT NOT NULL,"
                    + " job_json TEXT NOT NULL,"
                    + " executor TEXT,"
                    + " execution_ref TEXT,"
                    + " events_offset INTEGER NOT NULL DEFAULT 0,"
                    + " cancel_requests INTEGER NOT NULL DEFAULT 0,"
                    + " last_seq INTEGER NOT NULL DEFAULT 0);"
                    + "CREATE INDEX jobs_by_tenant ON jobs(tenant, id);"
                    + "CREATE INDEX jobs_by_status ON jobs(status, id);"
                    + "CREATE TABLE job_events ("
                    + " job_id TEXT NOT NULL REFERENCES jobs(id),"
                    + " seq INTEGER NOT NULL,"
                    + " time TEXT NOT NULL,"
                    + " level TEXT NOT NULL,"
                    + " type TEXT NOT NULL,"
                    + " message TEXT NOT NULL,"
                    + " data_json TEXT NOT NULL,"
                    + " PRIMARY KEY (job_id, seq)) WITHOUT ROWID;",
            "CREATE TABLE quota_budgets ("
                    + " tenant TEXT PRIMARY KEY,"
                    + " gpu_hours REAL NOT NULL);"
                    + "CREATE TABLE quota_entries ("
                    + " job_id TEXT PRIMARY KEY,"
                    + " tenant TEXT NOT NULL,"
                    + " period TEXT NOT NULL,"
                    + " reserved REAL NOT NULL,"
                    + " used REAL NOT NULL DEFAULT 0,"
                    + " settled INTEGER NOT NULL DEFAULT 0);"
                    + "CREATE INDEX quota_by_tenant ON quota_entries(tenant, period);",
            "CREATE TABLE checkpoints ("
                    + " id TEXT PRIMARY KEY,"
                    + " job_id TEXT NOT NULL,"
                    + " tenant TEXT NOT NULL,"
                    + " base_model TEXT NOT NULL,"
                    + " step INTEGER NOT NULL,"
                    + " final INTEGER NOT NULL,"
                    + " source TEXT NOT NULL,"
                    + " stage TEXT NOT NULL,"
                    + " created_at INTEGER NOT NULL,"
                    + " approved_at INTEGER,"
                    + " checkpoint_json TEXT NOT NULL,"
                    + " UNIQUE (job_id, source));"
                    + "CREATE INDEX checkpoints_by_model ON checkpoints(base_model, stage, approved_at);"
                    + "CREATE INDEX checkpoints_by_tenant ON checkpoints(tenant, created_at);"
                    + "CREATE INDEX checkpoints_by_job ON checkpoints(job_id, final, step);"
                    + "CREATE INDEX checkpoints_by_time ON checkpoints(created_at, id);"
                    + "CREATE TABLE checkpoint_files ("
                    + " checkpoint_id TEXT NOT NULL,"
                    + " path TEXT NOT NULL,"
                    + " sha256 TEXT NOT NULL,"
                    + " size INTEGER NOT NULL,"
                    + " PRIMARY KEY (checkpoint_id, path)) WITHOUT ROWID;"
                    + "CREATE INDEX checkpoint_files_by_blob ON checkpoint_files(sha256);"
                    + "CREATE TABLE blobs ("
                    + " sha256 TEXT PRIMARY KEY,"
                    + " size INTEGER NOT NULL,"
                    + " stored_at INTEGER NOT NULL) WITHOUT ROWID;"
                    + "CREATE TABLE checkpoint_transitions ("
                    + " checkpoint_id TEXT NOT NULL,"
                    + " seq INTEGER NOT NULL,"
                    + " from_stage TEXT,"
                    + " to_stage TEXT NOT NULL,"
                    + " actor TEXT NOT NULL,"
                    + " time INTEGER NOT NULL,"
                    + " reason TEXT NOT NULL,"
                    + " PRIMARY KEY (checkpoint_id, seq)) WITHOUT ROWID;",
            "CREATE TABLE tracking_state ("
                    + " sink TEXT NOT NULL,"
                    + " key TEXT NOT NULL,"
                    + " value TEXT NOT NULL,"
                    + " PRIMARY KEY (sink, key)) WITHOUT ROWID;",
            "CREATE TABLE tenants ("
                    + " name TEXT PRIMARY KEY,"
                    + " tier TEXT NOT NULL,"
                    + " created_at INTEGER NOT NULL) WITHOUT ROWID;"
                    + "CREATE TABLE api_keys ("
                    + " id TEXT PRIMARY KEY,"
                    + " name TEXT NOT NULL,"
                    + " tenant TEXT NOT NULL REFERENCES tenants(name),"
                    + " role TEXT NOT NULL,"
                    + " key_hash TEXT NOT NULL UNIQUE,"
                    + " created_at INTEGER NOT NULL,"
                    + " revoked_at INTEGER);"
                    + "CREATE TABLE files ("
                    + " id TEXT PRIMARY KEY,"
                    + " tenant TEXT NOT NULL,"
                    + " filename TEXT NOT NULL,"
                    + " purpose TEXT NOT NULL,"
                    + " format TEXT NOT NULL,"
                    + " bytes INTEGER NOT NULL,"
                    + " examples INTEGER NOT NULL,"
                    + " sha256 TEXT NOT NULL,"
                    + " created_at INTEGER NOT NULL,"
                    + " deleted_at INTEGER);"
                    + "CREATE INDEX files_by_tenant ON files(tenant, id);",
            "ALTER TABLE jobs ADD COLUMN attempt_phase TEXT;"
                    + "ALTER TABLE jobs ADD COLUMN launch_token TEXT;"
                    + "ALTER TABLE jobs ADD COLUMN launched_at TEXT;"
                    + "CREATE TABLE quota_attempts ("
                    + " job_id TEXT NOT NULL,"
                    + " attempt INTEGER NOT NULL,"
                    + " gpu_hours REAL NOT NULL,"
                    + " PRIMARY KEY (job_id, attempt)) WITHOUT ROWID;",
            "ALTER TABLE checkpoint_transitions ADD COLUMN gate_json TEXT;"
                    + "ALTER TABLE checkpoint_transitions ADD COLUMN override INTEGER NOT NULL DEFAULT 0;",
            "CREATE TABLE checkpoint_evaluations ("
                    + " id TEXT PRIMARY KEY,"
                    + " checkpoint_id TEXT NOT NULL,"
                    + " created_at INTEGER NOT NULL,"
                    + " evaluation_json TEXT NOT NULL);"
                    + "CREATE INDEX evaluations_by_checkpoint ON checkpoint_evaluations(checkpoint_id, created_at, id);",
            "CREATE TABLE outbox ("
                    + " sink TEXT NOT NULL,"
                    + " seq INTEGER NOT NULL,"
                    + " key TEXT NOT NULL,"
                    + " type TEXT NOT NULL,"
                    + " subject TEXT,"
                    + " body BLOB NOT NULL,"
                    + " created_at INTEGER NOT NULL,"
                    + " state TEXT NOT NULL,"
                    + " attempts INTEGER NOT NULL DEFAULT 0,"
                    + " last_error TEXT,"
                    + " done_at INTEGER,"
                    + " PRIMARY KEY (sink, seq),"
                    + " UNIQUE (sink, key));"
                    + "CREATE INDEX outbox_by_state ON outbox(sink, state, seq);",
            "CREATE TABLE checkpoint_exports ("
                    + " checkpoint_id TEXT NOT NULL,"
                    + " seq INTEGER NOT NULL,"
                    + " created_at INTEGER NOT NULL,"
                    + " export_json TEXT NOT NULL,"
                    + " PRIMARY KEY (checkpoint_id, seq)) WITHOUT ROWID;");

    private static final byte[] SQLITE_HEADER = "SQLite format 3\0".getBytes(StandardCharsets.US_ASCII);

    private SqliteDatabase() {
    }

    /** @return the schema version this build writes */
    public static int latestVersion() {
        return MIGRATIONS.size();
    }

    /**
     * Opens (creating if absent) a database file and brings it to the latest schema.
     *
     * @param file the database file
     * @return an open connection in auto-commit mode; writers open immediate transactions with {@code
     *     setAutoCommit(false)}
     * @throws StorageException when the file is not ours, is corrupt, is newer than this build, or cannot be
     *     written
     */
    public static Connection open(Path file) {
        boolean existed = Files.exists(file);
        if (existed) {
            checkHeader(file);
        }
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
        config.setBusyTimeout(30_000);
        config.enforceForeignKeys(true);
        config.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
        Connection c = null;
        try {
            if (existed) {
                inspect(file);
            }
            c = config.createConnection("jdbc:sqlite:" + file);
            c.setAutoCommit(false);
            migrate(c, file);
            c.setAutoCommit(true);
            return c;
        } catch (SQLException e) {
            closeQuietly(c);
            if (!existed) {
                deleteCreated(file);
            }
            throw translate(file, e);
        } catch (RuntimeException e) {
            closeQuietly(c);
            if (!existed) {
                deleteCreated(file);
            }
            throw e;
        }
    }

    /** Reads application id, schema version and tables read-only, so a foreign file is never modified. */
    private static void inspect(Path file) throws SQLException {
        SQLiteConfig readOnly = new SQLiteConfig();
        readOnly.setReadOnly(true);
        readOnly.setOpenMode(org.sqlite.SQLiteOpenMode.READONLY);
        try (Connection c = readOnly.createConnection("jdbc:sqlite:" + file); Statement s = c.createStatement()) {
            int appId = intPragma(s, "application_id");
            int version = intPragma(s, "user_version");
            int tables;
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM sqlite_master")) {
                tables = rs.next() ? rs.getInt(1) : 0;
            }
            if (appId != APPLICATION_ID && (appId != 0 || tables > 0)) {
                throw new StorageException(file + " is a SQLite database of another application (application_id 0x"
                        + Integer.toHexString(appId) + "); the SDK leaves it alone. Point the home directory "
                        + "somewhere else or move the file away.", false, null);
            }
            if (version > latestVersion()) {
                throw new StorageException(file + " was written by a newer version of the SDK (schema " + version
                        + ", this build knows up to " + latestVersion() + "). Upgrade the SDK to use it.", false, null);
            }
        }
    }

    private static void migrate(Connection c, Path file) throws SQLException {
        try (Statement s = c.createStatement()) {
            int version = intPragma(s, "user_version");
            if (version == latestVersion()) {
                c.commit();
                return;
            }
            for (int v = version; v < latestVersion(); v++) {
                for (String sql : MIGRATIONS.get(v).split(";")) {
                    if (!sql.isBlank()) {
                        s.executeUpdate(sql);
                    }
                }
            }
            s.executeUpdate("PRAGMA application_id = " + APPLICATION_ID);
            s.executeUpdate("PRAGMA user_version = " + latestVersion());
            c.commit();
        } catch (SQLException e) {
            c.rollback();
            throw e;
        }
    }

    private static int intPragma(Statement s, String name) throws SQLException {
        try (ResultSet rs = s.executeQuery("PRAGMA " + name)) {
            return rs.next() ? rs.getInt(1) : 0;
        }
    }

    private static void checkHeader(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(SQLITE_HEADER.length);
            if (head.length == 0) {
                return;
            }
            if (!Arrays.equals(head, SQLITE_HEADER)) {
                throw new StorageException(file + " is not a SQLite database (it may be corrupt or another "
                        + "program's file); the SDK leaves it alone. Move it away or point the home directory "
                        + "somewhere else.", false, null);
            }
        } catch (IOException e) {
            throw new StorageException("Cannot read " + file + ": " + e.getMessage(), false, e);
        }
    }

    /**
     * Turns a SQLite failure into a message a user can act on.
     *
     * @param file the database file
     * @param e the failure
     * @return the exception to throw
     */
    public static StorageException translate(Path file, SQLException e) {
        if (e instanceof SQLiteException) {
            SQLiteErrorCode code = ((SQLiteException) e).getResultCode();
            switch (code.code & 0xff) {
                case 5:
                case 6:
                    return new StorageException(file + " is busy (locked by another process for too long); try "
                            + "again.", true, e);
                case 11:
                case 26:
                    return new StorageException(file + " is corrupt or not a database (" + code.message
                            + "). Move it away; the SDK starts a new one.", false, e);
                case 8:
                case 14:
                    return new StorageException("Cannot write " + file + " (" + code.message + "): check the home "
                            + "directory's permissions.", false, e);
                case 13:
                    return new StorageException("The disk holding " + file + " is full.", true, e);
                default:
                    break;
            }
        }
        return new StorageException("Database " + file + " failed: " + e.getMessage(), false, e);
    }

    private static void deleteCreated(Path file) {
        for (String suffix : List.of("", "-wal", "-shm", "-journal")) {
            try {
                Files.deleteIfExists(Path.of(file + suffix));
            } catch (IOException ignored) {
                // best effort: the original error is what the user needs to see
            }
        }
    }

    private static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // the original error is what the user needs to see
            }
        }
    }
}
