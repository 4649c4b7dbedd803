package dev.koder.training.postgres;

import dev.koder.training.store.sql.SqlQuotaLedger;

/**
 * GPU-hour budgets and reservations in PostgreSQL, exact across service instances: a reservation takes a
 * transaction-scoped advisory lock on its tenant ({@code pg_advisory_xact_lock}), then reads the month's spending
 * and inserts itself, so two instances admitting jobs of one tenant at once take turns and never overspend.
 */
public final class PostgresQuotaLedger extends SqlQuotaLedger {

    private PostgresQuotaLedger(PostgresSettings settings) {
        super(PostgresDatabase.open(settings, "quotas"), PostgresDialect.INSTANCE);
    }

    /**
     * @param settings where the database is
     * @return the open ledger, its schema migrated
     * @throws dev.koder.training.api.StorageException when the database cannot be reached or migrated
     */
    public static PostgresQuotaLedger open(PostgresSettings settings) {
        return new PostgresQuotaLedger(settings);
    }
}
