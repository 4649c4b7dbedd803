package dev.koder.training.sqlite;

import dev.koder.training.store.sql.SqlDialect;
import dev.koder.training.store.sql.SqlOutbox;
import java.nio.file.Path;

/** The sinks' outboxes in the embedded database ({@code <home>/training.db}), the default. */
public final class SqliteOutbox extends SqlOutbox {

    private SqliteOutbox(Path file) {
        super(new SqliteSession(file), SqlDialect.SQLITE);
    }

    /** @param file the database file (the job store's) @return the open outboxes */
    public static SqliteOutbox open(Path file) {
        return new SqliteOutbox(file);
    }
}
