package dev.koder.training.store.sql;

import dev.koder.training.api.EventLevel;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobNotFoundException;
import dev.koder.training.api.JobQuery;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Page;
import dev.koder.training.api.StorageException;
import dev.koder.training.api.WireName;
import dev.koder.training.spi.AttemptPhase;
import dev.koder.training.spi.JobRecord;
import dev.koder.training.spi.JobStore;
import dev.koder.training.spi.JobUpdate;
import dev.koder.training.spi.Json;
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
import java.util.stream.Collectors;

/**
 * The {@link JobStore} in SQL, the same statements on every database ({@link SqlDialect} says what differs): a
 * {@code jobs} row a job (the job as JSON beside the columns the service queries and locks on) and a
 * {@code job_events} row an event, numbered on from the job's {@code last_seq} in the change that adds it, so numbers
 * never repeat or leave a gap. A change reads the job's row locked ({@link SqlDialect#lockRows}) and checks the status
 * it expects against what is committed.
 */
public class SqlJobStore implements JobStore {

    /** The record's columns, in the order {@link #bind} and {@link #read(ResultSet, String)} use. */
    private static final String COLUMNS = "job_json, executor, execution_ref, events_offset, cancel_requests, "
            + "attempt_phase, launch_token, launched_at";

    /** The {@code SET} list of an update of the record's columns and its status, {@link #bind} from the second. */
    private static final String SET = "status = ?, job_json = ?, executor = ?, execution_ref = ?, events_offset = ?, "
            + "cancel_requests = ?, attempt_phase = ?, launch_token = ?, launched_at = ?";

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
                bind(s, 5, job);
                if (s.executeUpdate() == 0) {
                    throw new IllegalArgumentException("a job with id " + j.id() + " is already stored");
                }
            }
            return append(c, j.id(), 0, events);
        });
    }

    @Override
    public Optional<JobRecord> find(String id) {
        return db.read(c -> read(c, id, ""));
    }

    @Override
    public Page<JobRecord> list(JobQuery query) {
        return db.read(c -> {
            List<String> args = new ArrayList<>();
            String sql = listSql(query, args);
            List<JobRecord> rows = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement(sql)) {
                for (int i = 0; i < args.size(); i++) {
                    s.setString(i + 1, args.get(i));
                }
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        rows.add(read(rs, where));
                    }
                }
            }
            return page(rows, query.limit());
        });
    }

    @Override
    public List<String> idsByStatus(Set<JobStatus> statuses) {
        return byStatus("id", statuses, rs -> rs.getString(1));
    }

    @Override
    public List<JobRecord> findByStatus(Set<JobStatus> statuses) {
        return byStatus(COLUMNS, statuses, rs -> read(rs, where));
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
                    + marks(statuses) + ") ORDER BY id")) {
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
        // taking a queued job to run: a row another change holds is passed over, and the claim answers as if the job
        // had moved on (the worker tries again at its next pass) rather than holding the placement loop
        boolean claim = expected == JobStatus.QUEUED && update.status() == JobStatus.RUNNING;
        return db.write(c -> {
            Optional<JobRecord> locked = read(c, id, claim ? dialect.claimRows("jobs") : dialect.lockRows("jobs"));
            if (locked.isEmpty() && claim && read(c, id, "").isPresent()) {
                return Optional.<Updated>empty();
            }
            JobRecord current = locked.orElseThrow(() -> new JobNotFoundException(id));
            if (current.status() != expected) {
                return Optional.<Updated>empty();
            }
            JobRecord changed = update.apply(current, clock.instant());
            try (PreparedStatement s = c.prepareStatement("UPDATE jobs SET " + SET + " WHERE id = ?")) {
                s.setString(1, changed.status().wireName());
                bind(s, 2, changed);
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
            if (events.isEmpty() && read(c, id, "").isEmpty()) {
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

    /** @param lock what follows the SELECT to lock the row, or empty */
    private Optional<JobRecord> read(Connection c, String id, String lock) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS + " FROM jobs WHERE id = ?" + lock)) {
            s.setString(1, id);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? Optional.of(read(rs, where)) : Optional.empty();
            }
        }
    }

    /**
     * Binds the record's {@link #COLUMNS}.
     *
     * @param s the statement
     * @param first the index of the first
     * @param r the record
     * @throws SQLException from the driver
     */
    private static void bind(PreparedStatement s, int first, JobRecord r) throws SQLException {
        s.setString(first, Json.write(r.job()));
        s.setString(first + 1, r.executor());
        s.setString(first + 2, r.executionRef());
        s.setLong(first + 3, r.eventsOffset());
        s.setInt(first + 4, r.cancelRequests());
        s.setString(first + 5, r.phase() == null ? null : r.phase().wireName());
        s.setString(first + 6, r.launchToken());
        s.setString(first + 7, r.launchedAt() == null ? null : r.launchedAt().toString());
    }

    /**
     * @param rs a row of {@link #COLUMNS}, from the first column
     * @param where the store, for the error
     * @return its record
     * @throws SQLException from the driver
     * @throws StorageException when the job's JSON cannot be read
     */
    private static JobRecord read(ResultSet rs, String where) throws SQLException {
        Job job;
        try {
            job = Json.MAPPER.readValue(rs.getString(1), Job.class);
        } catch (RuntimeException e) {
            throw new StorageException("A job in " + where + " cannot be read (" + e.getMessage() + ")", false, e);
        }
        String phase = rs.getString(6);
        return new JobRecord(job, rs.getString(2), rs.getString(3), rs.getLong(4), rs.getInt(5),
                phase == null ? null : WireName.parse(AttemptPhase.class, phase), rs.getString(7),
                rs.getString(8) == null ? null : Instant.parse(rs.getString(8)));
    }

    /**
     * @param query what to list
     * @param args receives the query's parameters, in order
     * @return the SELECT of a page of {@link #COLUMNS}: newest first, one row more than the page to tell if more follow
     */
    private static String listSql(JobQuery query, List<String> args) {
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM jobs WHERE 1=1");
        if (query.tenant() != null) {
            sql.append(" AND tenant = ?");
            args.add(query.tenant());
        }
        if (!query.statuses().isEmpty()) {
            sql.append(" AND status IN (").append(marks(query.statuses())).append(')');
            query.statuses().stream().map(JobStatus::wireName).sorted().forEach(args::add);
        }
        if (query.after() != null) {
            sql.append(" AND id < ?");
            args.add(query.after());
        }
        return sql.append(" ORDER BY id DESC LIMIT ").append(query.limit() + 1).toString();
    }

    /**
     * @param rows what {@link #listSql} found
     * @param limit the page's size
     * @return the page, with the cursor of the next when more follow
     */
    private static Page<JobRecord> page(List<JobRecord> rows, int limit) {
        boolean more = rows.size() > limit;
        List<JobRecord> page = more ? rows.subList(0, limit) : rows;
        return new Page<>(List.copyOf(page), more ? page.get(page.size() - 1).id() : null);
    }

    /** @param statuses some statuses @return one {@code ?} a status, comma-separated */
    private static String marks(Set<JobStatus> statuses) {
        return statuses.stream().map(s -> "?").collect(Collectors.joining(","));
    }

    @Override
    public void close() {
        db.close();
    }
}
