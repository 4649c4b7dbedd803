package dev.koder.training.store.sql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * How a SQL store runs its work on a database, whichever it is (the embedded SQLite file, a PostgreSQL server): a
 * change in one transaction, committed when the work returns and rolled back when it throws; a read that sees what
 * was committed. A driver's {@link SQLException} comes out as a {@link dev.koder.training.api.StorageException}
 * that says where and whether trying again may help.
 */
public interface SqlTransactions extends AutoCloseable {

    /** Work on a connection. */
    @FunctionalInterface
    interface Work<T> {
        /**
         * @param c the connection
         * @return what the work makes
         * @throws SQLException from the driver
         */
        T run(Connection c) throws SQLException;
    }

    /** @param work a change @param <T> its result @return the work's result, once committed */
    <T> T write(Work<T> work);

    /** @param work a read @param <T> its result @return the work's result */
    <T> T read(Work<T> work);

    /**
     * One statement in its own change.
     *
     * @param sql the statement, {@code ?} for each parameter
     * @param params its parameters in order (strings, numbers)
     * @return the rows it changed
     */
    default int update(String sql, Object... params) {
        return write(c -> {
            try (PreparedStatement s = c.prepareStatement(sql)) {
                for (int i = 0; i < params.length; i++) {
                    s.setObject(i + 1, params[i]);
                }
                return s.executeUpdate();
            }
        });
    }

    /** Closes the connections. */
    @Override
    void close();
}
