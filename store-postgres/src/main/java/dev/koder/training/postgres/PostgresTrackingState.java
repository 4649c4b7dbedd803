package dev.koder.training.postgres;

import dev.koder.training.store.sql.SqlTrackingState;

/** Tracking sinks' state in PostgreSQL, shared by every instance; core's statements. */
public final class PostgresTrackingState extends SqlTrackingState {

    private PostgresTrackingState(PostgresSettings settings) {
        super(PostgresDatabase.open(settings, "tracking"));
    }

    /**
     * @param settings where the database is
     * @return the open store, its schema migrated
     * @throws dev.koder.training.api.StorageException when the database cannot be reached or migrated
     */
    public static PostgresTrackingState open(PostgresSettings settings) {
        return new PostgresTrackingState(settings);
    }
}
