package dev.koder.training.store.sql;

import dev.koder.training.api.ApprovalVerdict;
import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.CheckpointNotFoundException;
import dev.koder.training.api.CheckpointQuery;
import dev.koder.training.api.CheckpointStage;
import dev.koder.training.api.IllegalCheckpointStateException;
import dev.koder.training.api.Page;
import dev.koder.training.api.WireName;
import dev.koder.training.spi.CheckpointStore;
import dev.koder.training.spi.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The checkpoint registry's rows in a SQL database: checkpoints, their files, the blobs they use, and every stage
 * move; the statements every database runs (the embedded one and PostgreSQL subclass it). A registration, a
 * transition and a garbage collection are each one transaction. In SQLite the file's write lock makes them take turns;
 * elsewhere a move locks its checkpoint's row, and registrations and garbage collections take turns on one lock
 * ({@link SqlDialect#lock}), so a registration never points at a blob a collection deleted.
 */
public class SqlCheckpoints implements CheckpointStore {

    /** What registrations and garbage collections take turns on. */
    static final String BLOBS_LOCK = "training-registry/blobs";

    private final SqlTransactions session;
    private final SqlDialect dialect;

    /**
     * @param session the database, its registry tables made
     * @param dialect how it locks
     */
    protected SqlCheckpoints(SqlTransactions session, SqlDialect dialect) {
        this.session = session;
        this.dialect = dialect;
    }

    /**
     * Registers a checkpoint as DRAFT, unless the job already registered this folder.
     *
     * @param c the checkpoint (its stage is ignored: it starts as a draft)
     * @param source the folder it was registered from
     * @param blobs checks under the write lock that every blob is stored
     * @param actor who registers it
     * @param reason why, for its history
     * @return the checkpoint as stored, or the one registered earlier from the same folder
     * @throws BlobMissingException when a blob was collected meanwhile: upload again and retry
     */
    @Override
    public Checkpoint register(Checkpoint c, String source, BlobCheck blobs, String actor, String reason) {
        return session.write(conn -> {
            dialect.lock(conn, BLOBS_LOCK);
            Optional<Checkpoint> earlier = bySource(conn, c.jobId(), source);
            if (earlier.isPresent()) {
                return earlier.get();
            }
            for (Checkpoint.File f : c.files()) {
                try {
                    if (!blobs.stored(f.sha256())) {
                        throw new BlobMissingException(f.sha256());
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            Checkpoint draft = withStage(c, CheckpointStage.DRAFT);
            try (PreparedStatement s = conn.prepareStatement("INSERT INTO checkpoints (id, job_id, tenant, base_model, "
                    + "step, final, source, stage, created_at, approved_at, checkpoint_json) VALUES (?, ?, ?, ?, ?, ?, ?, "
                    + "?, ?, NULL, ?)")) {
                s.setString(1, c.id());
                s.setString(2, c.jobId());
                s.setString(3, c.tenant());
                s.setString(4, c.baseModel());
                s.setLong(5, c.step());
                s.setInt(6, c.last() ? 1 : 0);
                s.setString(7, source);
                s.setString(8, CheckpointStage.DRAFT.wireName());
                s.setLong(9, c.createdAt().toEpochMilli());
                s.setString(10, Json.write(draft));
                s.executeUpdate();
            }
            try (PreparedStatement blob = conn.prepareStatement("INSERT INTO blobs (sha256, size, stored_at) "
                    + "VALUES (?, ?, ?) ON CONFLICT (sha256) DO NOTHING");
                    PreparedStatement file = conn.prepareStatement("INSERT INTO checkpoint_files (checkpoint_id, path, "
                            + "sha256, size) VALUES (?, ?, ?, ?)")) {
                for (Checkpoint.File f : c.files()) {
                    blob.setString(1, f.sha256());
                    blob.setLong(2, f.size());
                    blob.setLong(3, c.createdAt().toEpochMilli());
                    blob.executeUpdate();
                    file.setString(1, c.id());
                    file.setString(2, f.path());
                    file.setString(3, f.sha256());
                    file.setLong(4, f.size());
                    file.executeUpdate();
                }
            }
            insertTransition(conn, new Checkpoint.Transition(c.id(), null, CheckpointStage.DRAFT, actor,
                    c.createdAt(), reason));
            return draft;
        });
    }

    /**
     * Moves a checkpoint's stage if it is still in the stage the caller saw: of two concurrent moves from the
     * same stage exactly one wins.
     *
     * @param t the move: the checkpoint, the stage the caller saw, the new stage, who, when, why, and for an
     *     approval the gate's rules and whether an admin overrode them
     * @return the checkpoint after the move
     * @throws CheckpointNotFoundException when there is no such checkpoint
     * @throws IllegalCheckpointStateException when the move is not allowed, or the stage is no longer {@code from}
     */
    @Override
    public Checkpoint transition(Checkpoint.Transition t) {
        String id = t.checkpointId();
        CheckpointStage from = t.from();
        CheckpointStage to = t.to();
        Instant now = t.time();
        if (!from.canBecome(to)) {
            throw new IllegalCheckpointStateException("Checkpoint " + id + " is " + from.wireName() + "; it cannot "
                    + "become " + to.wireName() + " (draft -> approved -> deprecated, or draft -> deprecated; "
                    + "nothing goes back).", false);
        }
        return session.write(conn -> {
            Checkpoint c = find(conn, id, true).orElseThrow(() -> new CheckpointNotFoundException(id));
            if (c.stage() != from) {
                throw new IllegalCheckpointStateException("Checkpoint " + id + " was made " + c.stage().wireName()
                        + " by someone else while it was being made " + to.wireName() + " (it was " + from.wireName()
                        + " when read); look at its history and try again if it still applies.", true);
            }
            try (PreparedStatement s = conn.prepareStatement("UPDATE checkpoints SET stage = ?, approved_at = "
                    + "CASE WHEN ? = 'approved' THEN ? ELSE approved_at END WHERE id = ? AND stage = ?")) {
                s.setString(1, to.wireName());
                s.setString(2, to.wireName());
                s.setLong(3, now.toEpochMilli());
                s.setString(4, id);
                s.setString(5, from.wireName());
                s.executeUpdate();
            }
            insertTransition(conn, t);
            return withStage(c, to);
        });
    }

    private static void insertTransition(Connection conn, Checkpoint.Transition t) throws SQLException {
        try (PreparedStatement s = conn.prepareStatement("INSERT INTO checkpoint_transitions (checkpoint_id, seq, "
                + "from_stage, to_stage, actor, time, reason, gate_json, override) VALUES (?, (SELECT "
                + "COALESCE(MAX(seq), 0) + 1 FROM checkpoint_transitions WHERE checkpoint_id = ?), ?, ?, ?, ?, ?, ?, "
                + "?)")) {
            s.setString(1, t.checkpointId());
            s.setString(2, t.checkpointId());
            if (t.from() == null) {
                s.setNull(3, Types.VARCHAR);
            } else {
                s.setString(3, t.from().wireName());
            }
            s.setString(4, t.to().wireName());
            s.setString(5, t.actor());
            s.setLong(6, t.time().toEpochMilli());
            s.setString(7, t.reason());
            if (t.gate() == null) {
                s.setNull(8, Types.VARCHAR);
            } else {
                s.setString(8, Json.write(t.gate()));
            }
            s.setInt(9, t.override() ? 1 : 0);
            s.executeUpdate();
        }
    }

    /** @param id a checkpoint @return it, if registered */
    @Override
    public Optional<Checkpoint> find(String id) {
        return session.read(conn -> find(conn, id, false));
    }

    /** @param lock whether to lock its row until the change ends (a move reads it to decide) */
    private Optional<Checkpoint> find(Connection conn, String id, boolean lock) throws SQLException {
        try (PreparedStatement s = conn.prepareStatement("SELECT stage, checkpoint_json FROM checkpoints WHERE id = ?"
                + (lock ? dialect.lockRows("checkpoints") : ""))) {
            s.setString(1, id);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? Optional.of(row(rs)) : Optional.empty();
            }
        }
    }

    private static Optional<Checkpoint> bySource(Connection conn, String jobId, String source) throws SQLException {
        try (PreparedStatement s = conn.prepareStatement("SELECT stage, checkpoint_json FROM checkpoints WHERE job_id = ? "
                + "AND source = ?")) {
            s.setString(1, jobId);
            s.setString(2, source);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? Optional.of(row(rs)) : Optional.empty();
            }
        }
    }

    /** @param jobId a job @param source a folder @return the checkpoint the job registered from it, if any */
    @Override
    public Optional<Checkpoint> bySource(String jobId, String source) {
        return session.read(conn -> bySource(conn, jobId, source));
    }

    private static Checkpoint row(ResultSet rs) throws SQLException {
        Checkpoint c = Json.MAPPER.readValue(rs.getString(2), Checkpoint.class);
        return withStage(c, WireName.parse(CheckpointStage.class, rs.getString(1)));
    }

    static Checkpoint withStage(Checkpoint c, CheckpointStage stage) {
        return c.toBuilder().stage(stage).build();
    }

    /** @param q which ones @return a page, newest first */
    @Override
    public Page<Checkpoint> list(CheckpointQuery q) {
        return session.read(conn -> {
            StringBuilder sql = new StringBuilder("SELECT stage, checkpoint_json, created_at, id FROM checkpoints WHERE 1 = 1");
            List<Object> args = new ArrayList<>();
            if (q.tenant() != null) {
                sql.append(" AND tenant = ?");
                args.add(q.tenant());
            }
            if (q.baseModel() != null) {
                sql.append(" AND base_model = ?");
                args.add(q.baseModel());
            }
            if (q.stage() != null) {
                sql.append(" AND stage = ?");
                args.add(q.stage().wireName());
            }
            if (q.jobId() != null) {
                sql.append(" AND job_id = ?");
                args.add(q.jobId());
            }
            if (q.after() != null) {
                // The cursor is the id of the previous page's last checkpoint (OpenAI's after).
                sql.append(" AND (created_at, id) < (SELECT created_at, id FROM checkpoints WHERE id = ?)");
                args.add(q.after());
            }
            sql.append(" ORDER BY created_at DESC, id DESC LIMIT ?");
            args.add(q.limit() + 1);
            List<Checkpoint> items = new ArrayList<>();
            String next = null;
            try (PreparedStatement s = conn.prepareStatement(sql.toString())) {
                for (int i = 0; i < args.size(); i++) {
                    s.setObject(i + 1, args.get(i));
                }
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        if (items.size() == q.limit()) {
                            Checkpoint last = items.get(items.size() - 1);
                            next = last.id();
                            break;
                        }
                        items.add(row(rs));
                    }
                }
            }
            return new Page<>(items, next);
        });
    }

    /**
     * @param tenant whose fine-tunes
     * @param baseModel a base model
     * @return the tenant's most recently approved checkpoint of it
     */
    @Override
    public Optional<Checkpoint> approved(String tenant, String baseModel) {
        return session.read(conn -> {
            try (PreparedStatement s = conn.prepareStatement("SELECT stage, checkpoint_json FROM checkpoints WHERE "
                    + "tenant = ? AND base_model = ? AND stage = 'approved' ORDER BY approved_at DESC, id DESC LIMIT 1")) {
                s.setString(1, tenant);
                s.setString(2, baseModel);
                try (ResultSet rs = s.executeQuery()) {
                    return rs.next() ? Optional.of(row(rs)) : Optional.empty();
                }
            }
        });
    }

    /** @param id a checkpoint @return its registration and stage moves, oldest first */
    @Override
    public List<Checkpoint.Transition> history(String id) {
        return session.read(conn -> {
            List<Checkpoint.Transition> out = new ArrayList<>();
            try (PreparedStatement s = conn.prepareStatement("SELECT from_stage, to_stage, actor, time, reason, "
                    + "gate_json, override FROM checkpoint_transitions WHERE checkpoint_id = ? ORDER BY seq")) {
                s.setString(1, id);
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Checkpoint.Transition(id, rs.getString(1) == null ? null
                                : WireName.parse(CheckpointStage.class, rs.getString(1)),
                                WireName.parse(CheckpointStage.class, rs.getString(2)), rs.getString(3),
                                Instant.ofEpochMilli(rs.getLong(4)), rs.getString(5), gate(rs.getString(6)),
                                rs.getInt(7) != 0));
                    }
                }
            }
            return out;
        });
    }

    /**
     * Keeps an evaluation of a registered checkpoint.
     *
     * @param e the evaluation
     * @throws CheckpointNotFoundException when the checkpoint is not registered (retention may have dropped it)
     */
    @Override
    public void addEvaluation(dev.koder.training.api.Evaluation e) {
        session.write(conn -> {
            find(conn, e.checkpointId(), false).orElseThrow(() -> new CheckpointNotFoundException(e.checkpointId()));
            try (PreparedStatement s = conn.prepareStatement("INSERT INTO checkpoint_evaluations (id, checkpoint_id, "
                    + "created_at, evaluation_json) VALUES (?, ?, ?, ?)")) {
                s.setString(1, e.id());
                s.setString(2, e.checkpointId());
                s.setLong(3, e.createdAt().toEpochMilli());
                s.setString(4, Json.write(e));
                s.executeUpdate();
            }
            return null;
        });
    }

    /** @param e an export written of a registered checkpoint */
    @Override
    public void addExport(dev.koder.training.api.CheckpointExport e) {
        session.write(conn -> {
            // exports of one checkpoint are numbered in turn
            dialect.lock(conn, "training-registry/exports/" + e.checkpointId());
            try (PreparedStatement s = conn.prepareStatement("INSERT INTO checkpoint_exports (checkpoint_id, seq, "
                    + "created_at, export_json) VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM checkpoint_exports "
                    + "WHERE checkpoint_id = ?), ?, ?)")) {
                s.setString(1, e.checkpointId());
                s.setString(2, e.checkpointId());
                s.setLong(3, e.exportedAt().toEpochMilli());
                s.setString(4, Json.write(e));
                s.executeUpdate();
            }
            return null;
        });
    }

    /** @param checkpointId a checkpoint @return the exports written of it, oldest first */
    @Override
    public List<dev.koder.training.api.CheckpointExport> exports(String checkpointId) {
        return records("SELECT export_json FROM checkpoint_exports WHERE checkpoint_id = ? ORDER BY seq",
                checkpointId, dev.koder.training.api.CheckpointExport.class);
    }

    /** @param checkpointId a checkpoint @return its evaluations, oldest first */
    @Override
    public List<dev.koder.training.api.Evaluation> evaluations(String checkpointId) {
        return records("SELECT evaluation_json FROM checkpoint_evaluations WHERE checkpoint_id = ? ORDER BY "
                + "created_at, id", checkpointId, dev.koder.training.api.Evaluation.class);
    }

    /** The JSON records a query of one checkpoint reads (its first column), in its order. */
    private <T> List<T> records(String sql, String checkpointId, Class<T> type) {
        return session.read(conn -> {
            List<T> out = new ArrayList<>();
            try (PreparedStatement s = conn.prepareStatement(sql)) {
                s.setString(1, checkpointId);
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        out.add(Json.MAPPER.readValue(rs.getString(1), type));
                    }
                }
            }
            return out;
        });
    }

    private static List<ApprovalVerdict.Rule> gate(String json) {
        return json == null ? null : List.of(Json.MAPPER.readValue(json, ApprovalVerdict.Rule[].class));
    }

    /**
     * Deletes a job's intermediate checkpoints beyond the newest {@code keep}, never an approved one.
     *
     * @param jobId the job
     * @param keep how many intermediate checkpoints to keep
     * @return those deleted
     */
    @Override
    public List<Dropped> retain(String jobId, int keep) {
        return session.write(conn -> {
            List<Dropped> doomed = new ArrayList<>();
            try (PreparedStatement s = conn.prepareStatement("SELECT id, source FROM checkpoints WHERE job_id = ? AND "
                    + "final = 0 ORDER BY step DESC, created_at DESC")) {
                s.setString(1, jobId);
                try (ResultSet rs = s.executeQuery()) {
                    int seen = 0;
                    while (rs.next()) {
                        if (++seen > keep) {
                            doomed.add(new Dropped(rs.getString(1), rs.getString(2)));
                        }
                    }
                }
            }
            List<Dropped> deleted = new ArrayList<>();
            for (Dropped dropped : doomed) {
                String id = dropped.id();
                try (PreparedStatement d = conn.prepareStatement("DELETE FROM checkpoints WHERE id = ? AND stage != "
                        + "'approved'")) {
                    d.setString(1, id);
                    if (d.executeUpdate() == 1) {
                        deleted.add(dropped);
                        for (String table : new String[] {"checkpoint_files", "checkpoint_transitions",
                                "checkpoint_evaluations", "checkpoint_exports"}) {
                            try (PreparedStatement f = conn.prepareStatement("DELETE FROM " + table
                                    + " WHERE checkpoint_id = ?")) {
                                f.setString(1, id);
                                f.executeUpdate();
                            }
                        }
                    }
                }
            }
            return deleted;
        });
    }

    /**
     * Deletes every blob no checkpoint refers to, holding the database's write lock throughout, so a
     * registration (which checks its blobs under the same lock) never ends up pointing at a deleted blob.
     *
     * @param delete removes a blob from the store
     * @return how many blobs were deleted
     */
    @Override
    public int collectGarbage(BlobDelete delete) {
        return session.write(conn -> {
            dialect.lock(conn, BLOBS_LOCK);
            List<String> unreferenced = new ArrayList<>();
            try (PreparedStatement s = conn.prepareStatement("SELECT sha256 FROM blobs b WHERE NOT EXISTS (SELECT 1 FROM "
                    + "checkpoint_files f WHERE f.sha256 = b.sha256)");
                    ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    unreferenced.add(rs.getString(1));
                }
            }
            for (String sha : unreferenced) {
                try {
                    delete.delete(sha);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                try (PreparedStatement d = conn.prepareStatement("DELETE FROM blobs WHERE sha256 = ?")) {
                    d.setString(1, sha);
                    d.executeUpdate();
                }
            }
            return unreferenced.size();
        });
    }

    @Override
    public void close() {
        session.close();
    }
}
