package dev.koder.training.store.sql;

import dev.koder.training.api.QuotaExceededException;
import dev.koder.training.api.TenantNames;
import dev.koder.training.spi.QuotaLedger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * GPU-hour budgets and reservations in SQL, the same statements on every database ({@link SqlDialect} says what
 * differs). A reservation first makes the tenant's changes take turns ({@link SqlDialect#lock}; in SQLite the
 * change's write lock does it), then reads the month's spending and inserts itself in the same change, so
 * concurrent reservations (threads, processes, service instances) can never overspend.
 */
public class SqlQuotaLedger implements QuotaLedger {

    private static final double EPSILON = 1e-9;

    private final SqlTransactions session;
    private final SqlDialect dialect;

    /**
     * @param db the database
     * @param dialect what it says differently
     */
    protected SqlQuotaLedger(SqlTransactions db, SqlDialect dialect) {
        this.session = db;
        this.dialect = dialect;
    }

    /** @param now a moment @return its month in UTC, for example 2026-11 */
    public static String period(Instant now) {
        return YearMonth.from(now.atOffset(ZoneOffset.UTC)).toString();
    }

    @Override
    public void setBudget(String tenant, double gpuHours) {
        TenantNames.require(tenant);
        if (!(gpuHours >= 0) || Double.isInfinite(gpuHours)) {
            throw new IllegalArgumentException("a GPU-hour budget must be 0 or more, got " + gpuHours);
        }
        session.update("INSERT INTO quota_budgets (tenant, gpu_hours) VALUES (?, ?) "
                + "ON CONFLICT(tenant) DO UPDATE SET gpu_hours = excluded.gpu_hours", tenant, gpuHours);
    }

    @Override
    public boolean clearBudget(String tenant) {
        return session.update("DELETE FROM quota_budgets WHERE tenant = ?", tenant) > 0;
    }

    @Override
    public List<String> tenants() {
        return session.read(c -> {
            List<String> tenants = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement("SELECT tenant FROM quota_budgets UNION "
                    + "SELECT tenant FROM quota_entries ORDER BY tenant");
                    ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    tenants.add(rs.getString(1));
                }
            }
            return tenants;
        });
    }

    @Override
    public Optional<Double> budget(String tenant) {
        return session.read(c -> budget(c, tenant));
    }

    private static Optional<Double> budget(Connection c, String tenant) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT gpu_hours FROM quota_budgets WHERE tenant = ?")) {
            s.setString(1, tenant);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? Optional.of(rs.getDouble(1)) : Optional.empty();
            }
        }
    }

    @Override
    public void reserve(String tenant, String jobId, double gpuHours, Instant now) {
        if (!(gpuHours >= 0)) {
            throw new IllegalArgumentException("a reservation must be 0 or more GPU-hours, got " + gpuHours);
        }
        String period = period(now);
        session.write(c -> {
            dialect.lock(c, "training-quota/" + tenant);
            QuotaUsage usage = usage(c, tenant, period);
            if (usage.budgetGpuHours() != null && gpuHours > usage.remaining() + EPSILON) {
                throw new QuotaExceededException(tenant, gpuHours, usage.remaining(), usage.budgetGpuHours(), period);
            }
            try (PreparedStatement s = c.prepareStatement("INSERT INTO quota_entries (job_id, tenant, period, reserved) "
                    + "VALUES (?, ?, ?, ?) ON CONFLICT (job_id) DO NOTHING")) {
                s.setString(1, jobId);
                s.setString(2, tenant);
                s.setString(3, period);
                s.setDouble(4, gpuHours);
                if (s.executeUpdate() == 0) {
                    throw new IllegalArgumentException("job " + jobId + " already has a reservation");
                }
            }
            return null;
        });
    }

    @Override
    public void charge(String jobId, int attempt, double gpuHours) {
        session.write(c -> {
            double before = 0;
            try (PreparedStatement s = c.prepareStatement("SELECT a.gpu_hours FROM quota_entries e "
                    + "LEFT JOIN quota_attempts a ON a.job_id = e.job_id AND a.attempt = ? WHERE e.job_id = ?"
                    + dialect.lockRows("e"))) {
                s.setInt(1, attempt);
                s.setString(2, jobId);
                try (ResultSet rs = s.executeQuery()) {
                    if (!rs.next()) {
                        return null; // no reservation: not limited
                    }
                    before = rs.getDouble(1);
                }
            }
            try (PreparedStatement s = c.prepareStatement("INSERT INTO quota_attempts (job_id, attempt, gpu_hours) "
                    + "VALUES (?, ?, ?) ON CONFLICT (job_id, attempt) DO UPDATE SET gpu_hours = excluded.gpu_hours")) {
                s.setString(1, jobId);
                s.setInt(2, attempt);
                s.setDouble(3, gpuHours);
                s.executeUpdate();
            }
            try (PreparedStatement s = c.prepareStatement("UPDATE quota_entries SET used = used + ? WHERE job_id = ?")) {
                s.setDouble(1, gpuHours - before);
                s.setString(2, jobId);
                s.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public void settle(String jobId) {
        session.update("UPDATE quota_entries SET settled = 1 WHERE job_id = ?", jobId);
    }

    @Override
    public Optional<QuotaEntry> entry(String jobId) {
        return session.read(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT tenant, period, reserved, used, settled FROM "
                    + "quota_entries WHERE job_id = ?")) {
                s.setString(1, jobId);
                try (ResultSet rs = s.executeQuery()) {
                    return rs.next() ? Optional.of(new QuotaEntry(jobId, rs.getString(1), rs.getString(2),
                            rs.getDouble(3), rs.getDouble(4), rs.getInt(5) == 1)) : Optional.<QuotaEntry>empty();
                }
            }
        });
    }

    @Override
    public QuotaUsage usage(String tenant, Instant now) {
        return session.read(c -> usage(c, tenant, period(now)));
    }

    private static QuotaUsage usage(Connection c, String tenant, String period) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT COALESCE(SUM(used), 0), COALESCE(SUM(CASE WHEN settled = 0 "
                + "AND reserved > used THEN reserved - used ELSE 0 END), 0) FROM quota_entries WHERE tenant = ? AND "
                + "period = ?")) {
            s.setString(1, tenant);
            s.setString(2, period);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return new QuotaUsage(tenant, period, budget(c, tenant).orElse(null), rs.getDouble(2), rs.getDouble(1));
            }
        }
    }

    @Override
    public void close() {
        session.close();
    }
}
