package dev.koder.training.postgres;

import dev.koder.training.store.sql.SqlDialect;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * PostgreSQL's locks: a change locks the rows it reads to decide ({@code FOR UPDATE}; a claim of a queued job
 * passes over a row another change holds, {@code SKIP LOCKED}, so the placement loop never waits on it), and a
 * reservation locks its tenant with a transaction-scoped advisory lock, so two instances admitting jobs of one tenant
 * take turns (tenants whose names hash alike take turns too, which costs only a wait).
 */
final class PostgresDialect implements SqlDialect {

    static final PostgresDialect INSTANCE = new PostgresDialect();

    private PostgresDialect() {
    }

    @Override
    public String lockRows(String table) {
        return " FOR UPDATE OF " + table;
    }

    @Override
    public String claimRows(String table) {
        return " FOR UPDATE OF " + table + " SKIP LOCKED";
    }

    @Override
    public void lock(Connection c, String key) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))")) {
            s.setString(1, key);
            s.execute();
        }
    }
}
