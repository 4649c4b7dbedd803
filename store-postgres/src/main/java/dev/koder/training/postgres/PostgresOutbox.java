package dev.koder.training.postgres;

import dev.koder.training.store.sql.SqlOutbox;

/** The sinks' outboxes in PostgreSQL, shared by every instance; core's statements, appends to a sink taking turns. */
public final class PostgresOutbox extends SqlOutbox {

    private PostgresOutbox(PostgresSettings settings) {
        super(PostgresDatabase.open(settings, "outbox"), PostgresDialect.INSTANCE);
    }

    /**
     * @param settings where the database is
     * @return the open store, its schema migrated
     * @throws dev.koder.training.api.StorageException when the database cannot be reached or migrated
     */
    public static PostgresOutbox open(PostgresSettings settings) {
        return new PostgresOutbox(settings);
    }
}
