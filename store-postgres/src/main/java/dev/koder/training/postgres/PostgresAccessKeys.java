package dev.koder.training.postgres;

import dev.koder.training.store.sql.SqlAccessKeys;
import java.time.Clock;

/** Tenants and API keys in PostgreSQL, shared by every instance on the database; core's statements. */
public final class PostgresAccessKeys extends SqlAccessKeys {

    private PostgresAccessKeys(PostgresSettings settings) {
        super(PostgresDatabase.open(settings, "keys"), Clock.systemUTC());
    }

    /**
     * @param settings where the database is
     * @return the open store, its schema migrated
     * @throws dev.koder.training.api.StorageException when the database cannot be reached or migrated
     */
    public static PostgresAccessKeys open(PostgresSettings settings) {
        return new PostgresAccessKeys(settings);
    }
}
