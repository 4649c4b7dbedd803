package dev.koder.training.sqlite;

import dev.koder.training.store.sql.SqlTransactions;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One connection to the embedded database, shared by a store's threads behind a lock. Changes run in one
 * immediate transaction each: the write lock is taken at the start, so two processes never deadlock upgrading
 * a read, and released at the end. Outside of changes the connection is in auto-commit mode and holds no lock,
 * so other processes can write.
 */
final class SqliteSession implements SqlTransactions {

    private final Path file;
    private final Connection connection;
    private final ReentrantLock lock = new ReentrantLock();
    /** Idle read connections, opened as concurrent reads need them and kept up to this many. */
    private final java.util.concurrent.BlockingQueue<Connection> readers = new java.util.concurrent.ArrayBlockingQueue<>(
            Math.max(2, Runtime.getRuntime().availableProcessors()));

    SqliteSession(Path file) {
        this.file = file;
        this.connection = SqliteDatabase.open(file);
    }

    Path file() {
        return file;
    }

    @Override
    public <T> T write(Work<T> work) {
        lock.lock();
        try {
            connection.setAutoCommit(false);
            try {
                T result = work.run(connection);
                connection.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                rollback(e);
                throw e;
            } finally {
                connection.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw SqliteDatabase.translate(file, e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Runs a read. Outside a change it runs on one of the read connections, so reads run side by side and never
     * wait for a change to commit (WAL: each sees the last committed state); inside a change, on the change's
     * connection, which sees what the change wrote.
     */
    @Override
    public <T> T read(Work<T> work) {
        if (lock.isHeldByCurrentThread()) {
            try {
                return work.run(connection);
            } catch (SQLException e) {
                throw SqliteDatabase.translate(file, e);
            }
        }
        Connection reader = readers.poll();
        try {
            if (reader == null) {
                reader = SqliteDatabase.open(file);
            }
            return work.run(reader);
        } catch (SQLException e) {
            throw SqliteDatabase.translate(file, e);
        } finally {
            if (reader != null && !readers.offer(reader)) {
                closeQuietly(reader);
            }
        }
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // a surplus reader; nothing to keep
        }
    }

    private void rollback(Exception cause) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }

    @Override
    public void close() {
        for (Connection c; (c = readers.poll()) != null; ) {
            closeQuietly(c);
        }
        lock.lock();
        try {
            connection.close();
        } catch (SQLException e) {
            throw SqliteDatabase.translate(file, e);
        } finally {
            lock.unlock();
        }
    }
}
