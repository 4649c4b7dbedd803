package dev.koder.training.postgres;

import dev.koder.training.spi.WorkerLease;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker lease in PostgreSQL: one row with its holder and the time it expires, by the server's clock. Taking it
 * is one conditional upsert (it succeeds when the row is absent, expired or already this instance's), run under a
 * transaction-scoped advisory lock so that instances electing a worker take turns. A renewal moves the expiry on only
 * while the lease is this instance's and has not expired: a holder that stayed silent past its timeout has lost it,
 * even when nobody took it over yet, and must take it again.
 *
 * <p>A session advisory lock alone would tie the lease to one pooled connection (lost, and the lease with it, at any
 * connection reset) and could not state a timeout; the row does both.
 */
public final class PostgresWorkerLease implements WorkerLease {

    private static final Logger LOG = LoggerFactory.getLogger(PostgresWorkerLease.class);
    /** The lease's row: every instance on one schema competes for it. */
    static final String LEASE = "worker";

    private final PostgresDatabase db;
    private final String name;
    private final Duration timeout;

    private PostgresWorkerLease(PostgresDatabase db, String name, Duration timeout) {
        this.db = db;
        this.name = name;
        this.timeout = timeout;
    }

    /**
     * @param settings where the database is (the lease needs two connections, whatever the pool size says)
     * @param name this instance's name as a holder
     * @param timeout how long a silent holder keeps the lease
     * @return the lease, not yet taken
     * @throws dev.koder.training.api.StorageException when the database cannot be reached or migrated
     */
    public static PostgresWorkerLease open(PostgresSettings settings, String name, Duration timeout) {
        if (timeout.compareTo(Duration.ofMillis(100)) < 0) {
            throw new IllegalArgumentException("the worker lease's timeout must be 100 ms or more, got " + timeout);
        }
        PostgresSettings small = new PostgresSettings(settings.url(), settings.user(), settings.password(),
                settings.schema(), 2);
        return new PostgresWorkerLease(PostgresDatabase.open(small, "lease"), name, timeout);
    }

    private double seconds() {
        return timeout.toNanos() / 1e9;
    }

    @Override
    public boolean tryAcquire() {
        return db.write(c -> {
            PostgresDialect.INSTANCE.lock(c, "training-lease/" + LEASE);
            try (PreparedStatement s = c.prepareStatement("INSERT INTO worker_lease AS l (name, holder, acquired_at, "
                    + "renewed_at, expires_at) VALUES (?, ?, clock_timestamp(), clock_timestamp(), clock_timestamp() "
                    + "+ make_interval(secs => ?)) ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, "
                    + "acquired_at = CASE WHEN l.holder = EXCLUDED.holder THEN l.acquired_at ELSE EXCLUDED.acquired_at "
                    + "END, renewed_at = EXCLUDED.renewed_at, expires_at = EXCLUDED.expires_at "
                    + "WHERE l.holder = EXCLUDED.holder OR l.expires_at <= clock_timestamp()")) {
                s.setString(1, LEASE);
                s.setString(2, name);
                s.setDouble(3, seconds());
                return s.executeUpdate() == 1;
            }
        });
    }

    @Override
    public boolean renew() {
        return db.write(c -> {
            try (PreparedStatement s = c.prepareStatement("UPDATE worker_lease SET renewed_at = clock_timestamp(), "
                    + "expires_at = clock_timestamp() + make_interval(secs => ?) WHERE name = ? AND holder = ? "
                    + "AND expires_at > clock_timestamp()")) {
                s.setDouble(1, seconds());
                s.setString(2, LEASE);
                s.setString(3, name);
                return s.executeUpdate() == 1;
            }
        });
    }

    @Override
    public Duration timeout() {
        return timeout;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Optional<String> holder() {
        return db.read(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT holder, expires_at FROM worker_lease "
                    + "WHERE name = ? AND expires_at > clock_timestamp()")) {
                s.setString(1, LEASE);
                try (ResultSet r = s.executeQuery()) {
                    return r.next() ? Optional.of(r.getString(1) + " until " + r.getObject(2,
                            java.time.OffsetDateTime.class).toInstant()) : Optional.<String>empty();
                }
            }
        });
    }

    @Override
    public void release() {
        try {
            db.update("DELETE FROM worker_lease WHERE name = ? AND holder = ?", LEASE, name);
        } catch (RuntimeException e) {
            LOG.warn("cannot give the worker lease up ({}); it lapses after {}", e.getMessage(), timeout);
        }
    }

    @Override
    public void close() {
        release();
        db.close();
    }

    @Override
    public String toString() {
        return "worker lease in " + db;
    }
}
