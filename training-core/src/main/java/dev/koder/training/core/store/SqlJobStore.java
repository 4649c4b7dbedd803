package dev.koder.training.core.store;

import dev.koder.training.api.EventLevel;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobNotFoundException;
import dev.koder.training.api.JobQuery;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Page;
import dev.koder.training.api.WireName;
import dev.koder.training.core.internal.Json;
import dev.koder.training.spi.JobRecord;
import dev.koder.training.spi.JobStore;
import dev.koder.training.spi.JobUpdate;
import dev.koder.training.spi.NewEvent;
import dev.koder.training.spi.Updated;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The {@link JobStore} in SQL, the same statements on every database ({@link SqlDialect} says what differs): a
 * {@code jobs} row a job (the job as JSON beside the columns the service queries, {@link JobRows}) and a
 * {@code job_events} row an event, numbered on from the job's {@code last_seq} in the change that adds it, so numbers
 * never repeat or leave a gap. A change reads the job's row locked ({@link SqlDialect#lockRows}) and checks the status
 * it expects against what is committed.
 */
public class SqlJobStore implements JobStore {

    private static final String COLUMNS = JobRows.COLUMNS;

    private final SqlTransactions db;
    private final SqlDialect dialect;
    private final Clock clock;
    private final String where;

    /**
     * @param db the database
     * @param dialect what it says differently
     * @param clock the clock of update times
     * @param where the database in words, for errors
     */
    protected SqlJobStore(SqlTransactions db, SqlDialect dialect, Clock clock, String where) {
        this.db = db;
        this.dialect = dialect;
        this.clock = clock;
        this.where = where;
    }

    @Override
    public List<JobEvent> insert(JobRecord job, List<NewEvent> events) {
        return db.write(c -> {
            Job j = job.job();
            try (PreparedStatement s = c.prepareStatement("INSERT INTO jobs (id, tenant, status, created_at, " + COLUMNS
                    + ", last_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0) ON CONFLICT (id) DO NOTHING")) {
                s.setString(1, j.id());
                s.setString(2, j.spec().tenant());
                s.setString(3, j.status().wireName());
                s.setString(4, j.createdAt().toString());
                JobRows.bind(s, 5, job);
                if (s.executeUpdate() == 0) {
                    throw new IllegalArgumentException("a job with id " + j.id() + " is already stored");
                }
            }
            return append(c, j.id(), 0, events);
        });
    }

    @Override
    public Optional<JobRecord> find(String id) {
        return db.read(c -> read(c, id, false));
    }

    @Override
    public Page<JobRecord> list(JobQuery query) {
        return db.read(c -> {
            List<String> args = new ArrayList<>();
            String sql = JobRows.listSql(query, args);
            List<JobRecord> rows = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement(sql)) {
                for (int i = 0; i < args.size(); i++) {
                    s.setString(i + 1, args.get(i));
                }
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        rows.add(JobRows.read(rs, where));
                    }
                }
            }
            return JobRows.page(rows, query.limit());
        });
    }

    @Override
    public List<String> idsByStatus(Set<JobStatus> statuses) {
        return byStatus("id", statuses, rs -> rs.getString(1));
    }

    @Override
    public List<JobRecord> findByStatus(Set<JobStatus> statuses) {
        return byStatus(COLUMNS, statuses, rs -> JobRows.read(rs, where));
    }

    @FunctionalInterface
    private interface Row<T> {
        T of(ResultSet rs) throws SQLException;
    }

    /** @return the given columns of every job in one of the statuses, oldest first, each row mapped */
    private <T> List<T> byStatus(String columns, Set<JobStatus> statuses, Row<T> row) {
        if (statuses.isEmpty()) {
            return List.of();
        }
        return db.read(c -> {
            List<T> out = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement("SELECT " + columns + " FROM jobs WHERE status IN ("
                    + JobRows.marks(statuses) + ") ORDER BY id")) {
                int i = 1;
                for (JobStatus status : statuses) {
                    s.setString(i++, status.wireName());
                }
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        out.add(row.of(rs));
                    }
                }
            }
            return out;
        });
    }

    @Override
    public Optional<Updated> update(String id, JobStatus expected, JobUpdate update, List<NewEvent> events) {
        return db.write(c -> {
            JobRecord current = read(c, id, true).orElseThrow(() -> new JobNotFoundException(id));
            if (current.status() != expected) {
                return Optional.<Updated>empty();
            }
            JobRecord changed = update.apply(current, clock.instant());
            try (PreparedStatement s = c.prepareStatement("UPDATE jobs SET " + JobRows.SET + " WHERE id = ?")) {
                s.setString(1, changed.status().wireName());
                JobRows.bind(s, 2, changed);
                s.setString(10, id);
                s.executeUpdate();
            }
            long lastSeq;
            try (PreparedStatement s = c.prepareStatement("SELECT last_seq FROM jobs WHERE id = ?")) {
                s.setString(1, id);
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    lastSeq = rs.getLong(1);
                }
            }
            return Optional.of(new Updated(changed, append(c, id, lastSeq, events)));
        });
    }

    @Override
    public Page<JobEvent> events(String id, long afterSeq, int limit) {
        if (limit < 1 || limit > 1000) {
            throw new IllegalArgumentException("limit must be between 1 and 1000, got " + limit);
        }
        return db.read(c -> {
            List<JobEvent> events = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement("SELECT seq, time, level, type, message, data_json "
                    + "FROM job_events WHERE job_id = ? AND seq > ? ORDER BY seq LIMIT ?")) {
                s.setString(1, id);
                s.setLong(2, afterSeq);
                s.setInt(3, limit + 1);
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        events.add(new JobEvent(id, rs.getLong(1), Instant.parse(rs.getString(2)),
                                WireName.parse(EventLevel.class, rs.getString(3)), rs.getString(4), rs.getString(5),
                                Json.readMap(rs.getString(6))));
                    }
                }
            }
            if (events.isEmpty() && read(c, id, false).isEmpty()) {
                throw new JobNotFoundException(id);
            }
            boolean more = events.size() > limit;
            List<JobEvent> page = more ? events.subList(0, limit) : events;
            return new Page<>(List.copyOf(page), more ? String.valueOf(page.get(page.size() - 1).seq()) : null);
        });
    }

    private static List<JobEvent> append(Connection c, String id, long lastSeq, List<NewEvent> events)
            throws SQLException {
        if (events.isEmpty()) {
            return List.of();
        }
        List<JobEvent> stored = new ArrayList<>(events.size());
        long seq = lastSeq;
        try (PreparedStatement s = c.prepareStatement("INSERT INTO job_events (job_id, seq, time, level, type, message, "
                + "data_json) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            for (NewEvent e : events) {
                seq++;
                s.setString(1, id);
                s.setLong(2, seq);
                s.setString(3, e.time().toString());
                s.setString(4, e.level().wireName());
                s.setString(5, e.type());
                s.setString(6, e.message());
                s.setString(7, Json.write(e.data()));
                s.addBatch();
                stored.add(new JobEvent(id, seq, e.time(), e.level(), e.type(), e.message(), e.data()));
            }
            s.executeBatch();
        }
        try (PreparedStatement s = c.prepareStatement("UPDATE jobs SET last_seq = ? WHERE id = ?")) {
            s.setLong(1, seq);
            s.setString(2, id);
            s.executeUpdate();
        }
        return stored;
    }

    private Optional<JobRecord> read(Connection c, String id, boolean lock) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS + " FROM jobs WHERE id = ?"
                + (lock ? dialect.lockRows("jobs") : ""))) {
            s.setString(1, id);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? Optional.of(JobRows.read(rs, where)) : Optional.empty();
            }
        }
    }

    @Override
    public void close() {
        db.close();
    }
}
