package dev.koder.training.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.koder.training.api.StorageException;
import dev.koder.training.store.sql.SqlTransactions;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.flywaydb.core.Flyway;

/**
 * A pool of connections to the service's PostgreSQL database, its schema brought to the current version by Flyway
 * when first opened (several instances opening at once take turns: Flyway locks the schema history). The stores of a
 * process on the same settings share one pool ({@code pool-size} connections in all, not one pool a store), closed
 * when the last of them closes. Work runs in one transaction a call, tried again when PostgreSQL gave it up to a
 * serialization failure or a deadlock.
 */
final class PostgresDatabase implements SqlTransactions {

    /** Serialization failure and deadlock: the transaction was rolled back and may simply be run again. */
    private static final Set<String> RETRY_STATES = Set.of("40001", "40P01");
    /** Connection failures, the server shutting down or out of resources: worth trying again later. */
    private static final Set<String> TRANSIENT_CLASSES = Set.of("08", "53", "57");

    /** A pool and how many stores use it. */
    private static final class Shared {
        final HikariDataSource pool;
        int users;

        Shared(HikariDataSource pool) {
            this.pool = pool;
        }
    }

    private static final Map<PostgresSettings, Shared> POOLS = new HashMap<>();

    private final PostgresSettings settings;
    private final Shared shared;
    private final HikariDataSource pool;
    private boolean closed;

    private PostgresDatabase(PostgresSettings settings, Shared shared) {
        this.settings = settings;
        this.shared = shared;
        this.pool = shared.pool;
    }

    /**
     * @param settings where the database is
     * @param name what the pool is for, in its threads' names (the first store to open it names it)
     * @return the open database, migrated
     * @throws StorageException when it cannot be reached or migrated
     */
    static PostgresDatabase open(PostgresSettings settings, String name) {
        synchronized (POOLS) {
            Shared shared = POOLS.get(settings);
            if (shared == null) {
                shared = new Shared(pool(settings, name));
                POOLS.put(settings, shared);
            }
            shared.users++;
            return new PostgresDatabase(settings, shared);
        }
    }

    private static HikariDataSource pool(PostgresSettings settings, String name) {
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl(settings.url());
        c.setUsername(settings.user());
        c.setPassword(settings.password());
        c.setSchema(settings.schema());
        c.setMaximumPoolSize(settings.poolSize());
        c.setMinimumIdle(1);
        c.setPoolName("training-postgres-" + name);
        c.setConnectionTimeout(10_000);
        c.setInitializationFailTimeout(10_000);
        HikariDataSource pool;
        try {
            Flyway.configure().dataSource(settings.url(), settings.user(), settings.password())
                    .schemas(settings.schema()).defaultSchema(settings.schema())
                    .locations("classpath:db/training-postgres").load().migrate();
            pool = new HikariDataSource(c);
        } catch (RuntimeException e) {
            throw new StorageException("Cannot open the PostgreSQL stores at " + settings + ": " + rootMessage(e)
                    + ". Check that the server runs and takes these credentials (" + PostgresSettings.PREFIX
                    + "url, user, password or PGHOST, PGUSER, PGPASSWORD)", true, e);
        }
        return pool;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }

    @Override
    public <T> T write(Work<T> work) {
        return tx(work);
    }

    @Override
    public <T> T read(Work<T> work) {
        return tx(work);
    }

    /** Runs work in one transaction, committed when it returns, rolled back when it throws. */
    private <T> T tx(Work<T> work) {
        SQLException last = null;
        for (int attempt = 0; attempt < 8; attempt++) {
            try (Connection c = pool.getConnection()) {
                c.setAutoCommit(false);
                try {
                    T result = work.run(c);
                    c.commit();
                    return result;
                } catch (SQLException | RuntimeException e) {
                    c.rollback();
                    throw e;
                }
            } catch (SQLException e) {
                if (!RETRY_STATES.contains(e.getSQLState())) {
                    throw translate(e);
                }
                last = e;
                try {
                    Thread.sleep(5L << attempt);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        throw translate(last);
    }

    StorageException translate(SQLException e) {
        String state = e == null ? null : e.getSQLState();
        boolean transient_ = state != null && (RETRY_STATES.contains(state)
                || TRANSIENT_CLASSES.contains(state.substring(0, Math.min(2, state.length()))));
        return new StorageException("PostgreSQL at " + settings + " failed" + (state == null ? "" : " (SQLSTATE "
                + state + ")") + ": " + (e == null ? "unknown" : e.getMessage()), transient_, e);
    }

    @Override
    public void close() {
        synchronized (POOLS) {
            if (closed) {
                return;
            }
            closed = true;
            if (--shared.users == 0) {
                POOLS.remove(settings);
                pool.close();
            }
        }
    }
}
