package dev.koder.training.store.sql;

import dev.koder.training.spi.TrackingState;
import dev.koder.training.spi.TrackingStateStore;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Tracking sinks' durable state in a SQL database ({@code tracking_state}), one namespace per sink; the statements
 * every database runs (the embedded one and PostgreSQL subclass it). Each call is its own committed change.
 */
public class SqlTrackingState implements TrackingStateStore {

    private final SqlTransactions session;

    /** @param session the database, its table {@code tracking_state} made */
    protected SqlTrackingState(SqlTransactions session) {
        this.session = session;
    }

    /** @param sink the sink's namespace @return its state */
    @Override
    public TrackingState of(String sink) {
        return new Namespace(sink);
    }

    @Override
    public void close() {
        session.close();
    }

    private final class Namespace implements TrackingState {
        private final String sink;

        Namespace(String sink) {
            this.sink = sink;
        }

        @Override
        public Optional<String> get(String key) {
            return session.read(c -> {
                try (PreparedStatement s = c.prepareStatement("SELECT value FROM tracking_state WHERE sink = ? AND key = ?")) {
                    s.setString(1, sink);
                    s.setString(2, key);
                    try (ResultSet rs = s.executeQuery()) {
                        return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
                    }
                }
            });
        }

        @Override
        public void put(String key, String value) {
            session.update("INSERT INTO tracking_state (sink, key, value) VALUES (?, ?, ?) "
                    + "ON CONFLICT(sink, key) DO UPDATE SET value = excluded.value", sink, key, value);
        }

        @Override
        public boolean putIfAbsent(String key, String value) {
            return session.update("INSERT INTO tracking_state (sink, key, value) VALUES (?, ?, ?) "
                    + "ON CONFLICT(sink, key) DO NOTHING", sink, key, value) > 0;
        }

        @Override
        public void delete(String key) {
            session.update("DELETE FROM tracking_state WHERE sink = ? AND key = ?", sink, key);
        }

        @Override
        public Map<String, String> withPrefix(String prefix) {
            return session.read(c -> {
                Map<String, String> out = new LinkedHashMap<>();
                try (PreparedStatement s = c.prepareStatement("SELECT key, value FROM tracking_state WHERE sink = ? "
                        + "AND key >= ? AND key < ? ORDER BY key")) {
                    s.setString(1, sink);
                    s.setString(2, prefix);
                    s.setString(3, prefix + Character.MAX_VALUE);
                    try (ResultSet rs = s.executeQuery()) {
                        while (rs.next()) {
                            out.put(rs.getString(1), rs.getString(2));
                        }
                    }
                }
                return out;
            });
        }
    }
}
