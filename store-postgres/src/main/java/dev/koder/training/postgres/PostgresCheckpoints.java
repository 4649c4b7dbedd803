package dev.koder.training.postgres;

import dev.koder.training.store.sql.SqlCheckpoints;

/**
 * The checkpoint registry's records in PostgreSQL, shared by every instance; core's statements. A stage move locks its
 * checkpoint's row, and registrations and garbage collections take turns on an advisory lock.
 */
public final class PostgresCheckpoints extends SqlCheckpoints {

    private PostgresCheckpoints(PostgresSettings settings) {
        super(PostgresDatabase.open(settings, "registry"), PostgresDialect.INSTANCE);
    }

    /**
     * @param settings where the database is
     * @return the open store, its schema migrated
     * @throws dev.koder.training.api.StorageException when the database cannot be reached or migrated
     */
    public static PostgresCheckpoints open(PostgresSettings settings) {
        return new PostgresCheckpoints(settings);
    }
}
