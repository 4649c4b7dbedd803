package dev.koder.training.core.store;

import dev.koder.training.api.EventLevel;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobNotFoundException;
import dev.koder.training.api.JobQuery;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Page;
import dev.koder.training.api.StorageException;
import dev.koder.training.api.WireName;
import dev.koder.training.core.internal.Json;
import dev.koder.training.spi.AttemptPhase;
import dev.koder.training.spi.JobRecord;
import dev.koder.training.spi.JobStore;
import dev.koder.training.spi.JobUpdate;
import dev.koder.training.spi.NewEvent;
import dev.koder.training.spi.Updated;
import java.nio.file.Path;
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
 * The embedded {@link JobStore}: one SQLite file in WAL mode, safe for many threads (one connection behind a
 * lock) and for several processes (SQLite's file locks, immediate transactions, synchronous=FULL so a
 * committed change survives a crash).
 */
public final class SqliteJobStore implements JobStore {

    private static final String COLUMNS = "job_json, executor, execution_ref, events_offset, cancel_requests, "
            + "attempt_phase, launch_token, launched_at";

    private final Path file;
    private final Clock clock;
    private final SqliteSession session;

    private SqliteJobStore(Path file, Clock clock) {
        this.file = file;
        this.clock = clock;
        this.session = new SqliteSession(file);
    }

    /**
     * @param file the database file, created with the current schema if absent
     * @param clock the clock for update times
     * @return the open store
     * @throws StorageException when the file is not a usable job database
     */
    public static SqliteJobStore open(Path file, Clock clock) {
        return new SqliteJobStore(file, clock);
    }

    @Override
    public List<JobEvent> insert(JobRecord job, List<NewEvent> events) {
        return session.write(connection -> {
            if (read(connection, job.id()).isPresent()) {
                throw new IllegalArgumentException("a job with id " + job.id() + " is already stored");
            }
            try (PreparedStatement s = connection.prepareStatement("INSERT INTO jobs (id, tenant, status, created_at, "
                    + COLUMNS + ", last_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)")) {
                Job j = job.job();
                s.setString(1, j.id());
                s.setString(2, j.spec().tenant());
                s.setString(3, j.status().wireName());
                s.setString(4, j.createdAt().toString());
                bindRecord(s, 5, job);
                s.executeUpdate();
            }
            return append(connection, job.id(), 0, events);
        });
    }

    @Override
    public Optional<JobRecord> find(String id) {
        return session.read(connection -> read(connection, id));
    }

    @Override
    public Page<JobRecord> list(JobQuery query) {
        return session.read(connection -> {
            StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM jobs WHERE 1=1");
            List<String> args = new ArrayList<>();
            if (query.tenant() != null) {
                sql.append(" AND tenant = ?");
                args.add(query.tenant());
            }
            if (!query.statuses().isEmpty()) {
                sql.append(" AND status IN (").append(query.statuses().stream().map(s -> "?")
                        .collect(Collectors.joining(","))).append(')');
                query.statuses().stream().map(JobStatus::wireName).sorted().forEach(args::add);
            }
            if (query.after() != null) {
                sql.append(" AND id < ?");
                args.add(query.after());
            }
            sql.append(" ORDER BY id DESC LIMIT ").append(query.limit() + 1);
            List<JobRecord> rows = new ArrayList<>();
            try (PreparedStatement s = connection.prepareStatement(sql.toString())) {
                for (int i = 0; i < args.size(); i++) {
                    s.setString(i + 1, args.get(i));
                }
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        rows.add(record(rs));
                    }
                }
            }
            boolean more = rows.size() > query.limit();
            List<JobRecord> page = more ? rows.subList(0, query.limit()) : rows;
            return new Page<>(page, more ? page.get(page.size() - 1).id() : null);
        });
    }

    @Override
    public List<String> idsByStatus(Set<JobStatus> statuses) {
        return byStatus("id", statuses, rs -> rs.getString(1));
    }

    @Override
    public List<JobRecord> findByStatus(Set<JobStatus> statuses) {
        return byStatus(COLUMNS, statuses, this::record);
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
        return session.read(connection -> {
            String marks = statuses.stream().map(s -> "?").collect(Collectors.joining(","));
            List<T> out = new ArrayList<>();
            try (PreparedStatement s = connection.prepareStatement(
                    "SELECT " + columns + " FROM jobs WHERE status IN (" + marks + ") ORDER BY id")) {
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
        return session.write(connection -> {
            JobRecord current = read(connection, id).orElseThrow(() -> new JobNotFoundException(id));
            if (current.status() != expected) {
                return Optional.<Updated>empty();
            }
            JobRecord changed = update.apply(current, clock.instant());
            try (PreparedStatement s = connection.prepareStatement("UPDATE jobs SET status = ?, job_json = ?, "
                    + "executor = ?, execution_ref = ?, events_offset = ?, cancel_requests = ?, attempt_phase = ?, "
                    + "launch_token = ?, launched_at = ? WHERE id = ?")) {
                s.setString(1, changed.status().wireName());
                bindRecord(s, 2, changed);
                s.setString(10, id);
                s.executeUpdate();
            }
            long lastSeq;
            try (PreparedStatement s = connection.prepareStatement("SELECT last_seq FROM jobs WHERE id = ?")) {
                s.setString(1, id);
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    lastSeq = rs.getLong(1);
                }
            }
            return Optional.of(new Updated(changed, append(connection, id, lastSeq, events)));
        });
    }

    @Override
    public Page<JobEvent> events(String id, long afterSeq, int limit) {
        if (limit < 1 || limit > 1000) {
            throw new IllegalArgumentException("limit must be between 1 and 1000, got " + limit);
        }
        return session.read(connection -> {
            List<JobEvent> events = new ArrayList<>();
            try (PreparedStatement s = connection.prepareStatement("SELECT seq, time, level, type, message, data_json "
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
            if (events.isEmpty() && read(connection, id).isEmpty()) {
                throw new JobNotFoundException(id);
            }
            boolean more = events.size() > limit;
            List<JobEvent> page = more ? events.subList(0, limit) : events;
            return new Page<>(page, more ? String.valueOf(page.get(page.size() - 1).seq()) : null);
        });
    }

    private List<JobEvent> append(Connection connection, String id, long lastSeq, List<NewEvent> events)
            throws SQLException {
        if (events.isEmpty()) {
            return List.of();
        }
        List<JobEvent> stored = new ArrayList<>(events.size());
        long seq = lastSeq;
        try (PreparedStatement s = connection.prepareStatement("INSERT INTO job_events (job_id, seq, time, level, "
                + "type, message, data_json) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
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
        try (PreparedStatement s = connection.prepareStatement("UPDATE jobs SET last_seq = ? WHERE id = ?")) {
            s.setLong(1, seq);
            s.setString(2, id);
            s.executeUpdate();
        }
        return stored;
    }

    private Optional<JobRecord> read(Connection connection, String id) throws SQLException {
        try (PreparedStatement s = connection.prepareStatement("SELECT " + COLUMNS + " FROM jobs WHERE id = ?")) {
            s.setString(1, id);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? Optional.of(record(rs)) : Optional.empty();
            }
        }
    }

    private static void bindRecord(PreparedStatement s, int first, JobRecord r) throws SQLException {
        s.setString(first, Json.write(r.job()));
        s.setString(first + 1, r.executor());
        s.setString(first + 2, r.executionRef());
        s.setLong(first + 3, r.eventsOffset());
        s.setInt(first + 4, r.cancelRequests());
        s.setString(first + 5, r.phase() == null ? null : r.phase().wireName());
        s.setString(first + 6, r.launchToken());
        s.setString(first + 7, r.launchedAt() == null ? null : r.launchedAt().toString());
    }

    private JobRecord record(ResultSet rs) throws SQLException {
        Job job;
        try {
            job = Json.MAPPER.readValue(rs.getString(1), Job.class);
        } catch (RuntimeException e) {
            throw new StorageException("A job in " + file + " cannot be read (" + e.getMessage() + ")", false, e);
        }
        String phase = rs.getString(6);
        return new JobRecord(job, rs.getString(2), rs.getString(3), rs.getLong(4), rs.getInt(5),
                phase == null ? null : WireName.parse(AttemptPhase.class, phase), rs.getString(7),
                rs.getString(8) == null ? null : Instant.parse(rs.getString(8)));
    }

    @Override
    public void close() {
        session.close();
    }
}
