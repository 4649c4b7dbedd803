package dev.koder.training.sqlite;

import dev.koder.training.store.sql.SqlAccessKeys;
import java.nio.file.Path;
import java.time.Clock;

/** Tenants and API keys in the home's database ({@code <home>/training.db}), the embedded default. */
public final class SqliteAccess extends SqlAccessKeys {

    private SqliteAccess(SqliteSession session) {
        super(session, Clock.systemUTC());
    }

    /**
     * @param home the service's home folder
     * @return the access store in its database
     */
    public static SqliteAccess open(Path home) {
        return new SqliteAccess(new SqliteSession(home.resolve(SqliteJobStoreProvider.FILE)));
    }
}
