package dev.koder.training.core.store;

import dev.koder.training.api.Job;
import dev.koder.training.api.JobQuery;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Page;
import dev.koder.training.api.StorageException;
import dev.koder.training.api.WireName;
import dev.koder.training.core.internal.Json;
import dev.koder.training.spi.AttemptPhase;
import dev.koder.training.spi.JobRecord;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * How a {@link JobRecord} is kept in a SQL row, the same in every SQL job store (SQLite, PostgreSQL): the job as
 * JSON in {@code job_json} beside the columns the service queries and locks on.
 */
public final class JobRows {

    /** The record's columns, in the order {@link #bind} and {@link #read} use. */
    public static final String COLUMNS = "job_json, executor, execution_ref, events_offset, cancel_requests, "
            + "attempt_phase, launch_token, launched_at";

    /** The {@code SET} list of an update of the record's columns and its status, {@link #bind} from the second. */
    public static final String SET = "status = ?, job_json = ?, executor = ?, execution_ref = ?, events_offset = ?, "
            + "cancel_requests = ?, attempt_phase = ?, launch_token = ?, launched_at = ?";

    private JobRows() {
    }

    /**
     * Binds the record's {@link #COLUMNS}.
     *
     * @param s the statement
     * @param first the index of the first
     * @param r the record
     * @throws SQLException from the driver
     */
    public static void bind(PreparedStatement s, int first, JobRecord r) throws SQLException {
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
    public static JobRecord read(ResultSet rs, String where) throws SQLException {
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
    public static String listSql(JobQuery query, List<String> args) {
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
    public static Page<JobRecord> page(List<JobRecord> rows, int limit) {
        boolean more = rows.size() > limit;
        List<JobRecord> page = more ? rows.subList(0, limit) : rows;
        return new Page<>(List.copyOf(page), more ? page.get(page.size() - 1).id() : null);
    }

    /** @param statuses some statuses @return one {@code ?} a status, comma-separated */
    public static String marks(Set<JobStatus> statuses) {
        return statuses.stream().map(s -> "?").collect(Collectors.joining(","));
    }
}
