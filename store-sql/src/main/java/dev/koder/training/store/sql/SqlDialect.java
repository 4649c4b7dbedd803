package dev.koder.training.store.sql;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * What the SQL stores say differently to one database and another. The embedded SQLite file needs nothing: a change
 * holds the whole file's write lock. A server with row locks (PostgreSQL) locks what a change reads to decide.
 */
public interface SqlDialect {

    /** SQLite: a change takes the file's write lock at its start, which serialises every change. */
    SqlDialect SQLITE = new SqlDialect() {
    };

    /**
     * @param table the table (or its alias) whose rows a change reads and then writes
     * @return what follows the SELECT to lock them until the change ends; empty by default
     */
    default String lockRows(String table) {
        return "";
    }

    /**
     * @param table the table whose rows a claim reads and then writes (a queued job taken to run)
     * @return what follows the SELECT to lock them, passing over rows another change holds (which the claim then
     *     takes for moved on, to be tried again at the next pass) instead of waiting for it; by default
     *     {@link #lockRows}
     */
    default String claimRows(String table) {
        return lockRows(table);
    }

    /**
     * Makes the changes that take the same key take turns until the change ends (a tenant's quota, the registry's
     * blobs); by default nothing, as the embedded file's write lock already serialises every change.
     *
     * @param c the change's connection
     * @param key what the changes share, for example {@code training-quota/acme}
     * @throws SQLException from the driver
     */
    default void lock(Connection c, String key) throws SQLException {
    }
}
