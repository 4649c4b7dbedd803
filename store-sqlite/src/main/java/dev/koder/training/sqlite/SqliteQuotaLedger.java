package dev.koder.training.sqlite;

import dev.koder.training.store.sql.SqlDialect;
import dev.koder.training.store.sql.SqlQuotaLedger;
import java.nio.file.Path;

/**
 * GPU-hour budgets and reservations in the embedded database. A reservation reads the month's spending and
 * inserts itself in one immediate transaction, so concurrent reservations (threads or processes) are
 * serialised by SQLite's write lock and can never overspend.
 */
public final class SqliteQuotaLedger extends SqlQuotaLedger {

    private SqliteQuotaLedger(Path file) {
        super(new SqliteSession(file), SqlDialect.SQLITE);
    }

    /**
     * @param file the database file (the job store's), created with the current schema if absent
     * @return the open ledger
     */
    public static SqliteQuotaLedger open(Path file) {
        return new SqliteQuotaLedger(file);
    }
}
