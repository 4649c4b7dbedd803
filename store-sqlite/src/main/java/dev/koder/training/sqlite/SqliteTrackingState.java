package dev.koder.training.sqlite;

import dev.koder.training.store.sql.SqlTrackingState;
import java.nio.file.Path;

/** Tracking sinks' durable state in the embedded database ({@code <home>/training.db}), the default. */
public final class SqliteTrackingState extends SqlTrackingState {

    private SqliteTrackingState(Path file) {
        super(new SqliteSession(file));
    }

    /**
     * @param file the database file (the job store's), created with the current schema if absent
     * @return the open state store
     */
    public static SqliteTrackingState open(Path file) {
        return new SqliteTrackingState(file);
    }
}
