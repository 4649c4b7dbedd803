package dev.koder.training.store.sql;

import dev.koder.training.spi.OutboxMessage;
import dev.koder.training.spi.OutboxStore;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The sinks' outboxes in a SQL database ({@code outbox}), the statements every database runs (the embedded one and
 * PostgreSQL subclass it): one ordered queue per sink, each message {@code pending}, then {@code sent} or
 * {@code dead}. Appends to one sink take turns ({@link SqlDialect#lock}; the embedded file's write lock already
 * serialises them), so keys stay unique and places follow each other.
 */
public class SqlOutbox implements OutboxStore {

    private final SqlTransactions session;
    private final SqlDialect dialect;

    /** @param session the database, its table {@code outbox} made @param dialect how it locks */
    protected SqlOutbox(SqlTransactions session, SqlDialect dialect) {
        this.session = session;
        this.dialect = dialect;
    }

    /**
     * @param sink the sink's outbox
     * @param m the message
     * @param maxPending the most pending messages the sink may hold
     * @return what happened
     */
    @Override
    public Appended append(String sink, OutboxMessage m, long maxPending) {
        return session.write(c -> {
            dialect.lock(c, "training-outbox/" + sink);
            try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM outbox WHERE sink = ? AND key = ?")) {
                s.setString(1, sink);
                s.setString(2, m.key());
                try (ResultSet rs = s.executeQuery()) {
                    if (rs.next()) {
                        return Appended.KNOWN;
                    }
                }
            }
            if (count(c, sink) >= maxPending) {
                return Appended.FULL;
            }
            try (PreparedStatement s = c.prepareStatement("INSERT INTO outbox (sink, seq, key, type, subject, body, "
                    + "created_at, state) VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox WHERE sink = ?), ?, "
                    + "?, ?, ?, ?, 'pending')")) {
                s.setString(1, sink);
                s.setString(2, sink);
                s.setString(3, m.key());
                s.setString(4, m.type());
                s.setString(5, m.subject());
                s.setBytes(6, m.body());
                s.setLong(7, m.createdAt().toEpochMilli());
                s.executeUpdate();
            }
            return Appended.STORED;
        });
    }

    private static long count(java.sql.Connection c, String sink) throws java.sql.SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT COUNT(*) FROM outbox WHERE sink = ? AND state = "
                + "'pending'")) {
            s.setString(1, sink);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** @param sink a sink @return its pending messages */
    @Override
    public long pending(String sink) {
        return session.read(c -> count(c, sink));
    }

    /** @param sink a sink @param limit how many @return its oldest pending messages, oldest first */
    @Override
    public List<Pending> next(String sink, int limit) {
        return session.read(c -> {
            List<Pending> out = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement("SELECT seq, key, type, subject, body, created_at, attempts "
                    + "FROM outbox WHERE sink = ? AND state = 'pending' ORDER BY seq LIMIT ?")) {
                s.setString(1, sink);
                s.setInt(2, limit);
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Pending(rs.getLong(1), new OutboxMessage(rs.getString(2), rs.getString(3),
                                rs.getString(4), rs.getBytes(5), Instant.ofEpochMilli(rs.getLong(6))), rs.getInt(7)));
                    }
                }
            }
            return out;
        });
    }

    /**
     * @param sink a sink
     * @param seq a pending message
     * @param state {@code sent} or {@code dead}
     * @param error why it is dead, or null
     * @param at when
     */
    @Override
    public void finish(String sink, long seq, String state, String error, Instant at) {
        session.write(c -> {
            try (PreparedStatement s = c.prepareStatement("UPDATE outbox SET state = ?, last_error = ?, done_at = ?, "
                    + "attempts = attempts + 1 WHERE sink = ? AND seq = ?")) {
                s.setString(1, state);
                s.setString(2, error);
                s.setLong(3, at.toEpochMilli());
                s.setString(4, sink);
                s.setLong(5, seq);
                s.executeUpdate();
            }
            return null;
        });
    }

    /** @param sink a sink @param seq a pending message @param error why the try failed */
    @Override
    public void failed(String sink, long seq, String error) {
        session.write(c -> {
            try (PreparedStatement s = c.prepareStatement("UPDATE outbox SET attempts = attempts + 1, last_error = ? "
                    + "WHERE sink = ? AND seq = ?")) {
                s.setString(1, error);
                s.setString(2, sink);
                s.setLong(3, seq);
                s.executeUpdate();
            }
            return null;
        });
    }

    /**
     * Forgets sent messages finished before a time (dead ones stay, for an operator to look at).
     *
     * @param before the time
     * @return how many were forgotten
     */
    @Override
    public int prune(Instant before) {
        return session.write(c -> {
            try (PreparedStatement s = c.prepareStatement("DELETE FROM outbox WHERE state = 'sent' AND done_at < ?")) {
                s.setLong(1, before.toEpochMilli());
                return s.executeUpdate();
            }
        });
    }

    /** @param sink a sink @return how many of its messages are dead */
    @Override
    public long dead(String sink) {
        return session.read(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT COUNT(*) FROM outbox WHERE sink = ? AND state = "
                    + "'dead'")) {
                s.setString(1, sink);
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        });
    }

    @Override
    public void close() {
        session.close();
    }
}
