package dev.koder.training.sqlite;

import dev.koder.training.store.sql.SqlCheckpoints;
import dev.koder.training.store.sql.SqlDialect;
import java.nio.file.Path;

/** The checkpoint registry's rows in the embedded database ({@code <home>/training.db}), the default. */
public final class SqliteCheckpoints extends SqlCheckpoints {

    private SqliteCheckpoints(Path file) {
        super(new SqliteSession(file), SqlDialect.SQLITE);
    }

    /** @param file the database file @return the open registry tables */
    public static SqliteCheckpoints open(Path file) {
        return new SqliteCheckpoints(file);
    }
}
