package dev.koder.training.core.store;

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
     * Makes the changes of one tenant's quota take turns until the change ends; by default nothing.
     *
     * @param c the change's connection
     * @param tenant the tenant
     * @throws SQLException from the driver
     */
    default void lockTenant(Connection c, String tenant) throws SQLException {
    }
}
