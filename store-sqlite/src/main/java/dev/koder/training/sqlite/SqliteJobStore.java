package dev.koder.training.sqlite;

import dev.koder.training.store.sql.SqlDialect;
import dev.koder.training.store.sql.SqlJobStore;
import java.nio.file.Path;
import java.time.Clock;

/**
 * The embedded {@link dev.koder.training.spi.JobStore}: one SQLite file in WAL mode, safe for many threads (one
 * connection behind a lock) and for several processes (SQLite's file locks, immediate transactions, synchronous=FULL
 * so a committed change survives a crash).
 */
public final class SqliteJobStore extends SqlJobStore {

    private SqliteJobStore(Path file, Clock clock) {
        super(new SqliteSession(file), SqlDialect.SQLITE, clock, file.toString());
    }

    /**
     * @param file the database file, created with the current schema if absent
     * @param clock the clock for update times
     * @return the open store
     * @throws dev.koder.training.api.StorageException when the file is not a usable job database
     */
    public static SqliteJobStore open(Path file, Clock clock) {
        return new SqliteJobStore(file, clock);
    }
}
