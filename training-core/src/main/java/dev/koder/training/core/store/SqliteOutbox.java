package dev.koder.training.core.store;

import dev.koder.training.spi.OutboxMessage;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The sinks' outboxes in the embedded database ({@code outbox}): one ordered queue per sink, each message
 * {@code pending}, then {@code sent} or {@code dead}. Sent and dead rows stay for a while, so a key appended again
 * (a reconcile after a crash) is recognised and never sent twice.
 */
public final class SqliteOutbox implements AutoCloseable {

    private final SqliteSession session;

    private SqliteOutbox(Path file) {
        this.session = new SqliteSession(file);
    }

    /** @param file the database file (the job store's) @return the open outboxes */
    public static SqliteOutbox open(Path file) {
        return new SqliteOutbox(file);
    }

    /** What appending found. */
    public enum Appended {
        /** Stored now. */
        STORED,
        /** A message with this key was stored before (sent or not): nothing changed. */
        KNOWN,
        /** The sink holds its limit of pending messages: nothing stored. */
        FULL
    }

    /** A pending message with its place and tries. */
    public record Pending(long seq, OutboxMessage message, int attempts) {
    }

    /**
     * @param sink the sink's outbox
     * @param m the message
     * @param maxPending the most pending messages the sink may hold
     * @return what happened
     */
    public Appended append(String sink, OutboxMessage m, long maxPending) {
        return session.write(c -> {
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
    public long pending(String sink) {
        return session.read(c -> count(c, sink));
    }

    /** @param sink a sink @param limit how many @return its oldest pending messages, oldest first */
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
    public int prune(Instant before) {
        return session.write(c -> {
            try (PreparedStatement s = c.prepareStatement("DELETE FROM outbox WHERE state = 'sent' AND done_at < ?")) {
                s.setLong(1, before.toEpochMilli());
                return s.executeUpdate();
            }
        });
    }

    /** @param sink a sink @return how many of its messages are dead */
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
