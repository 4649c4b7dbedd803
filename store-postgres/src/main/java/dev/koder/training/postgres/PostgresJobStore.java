package dev.koder.training.postgres;

import dev.koder.training.store.sql.SqlJobStore;
import java.time.Clock;

/**
 * The {@link dev.koder.training.spi.JobStore} in PostgreSQL, shared by every service instance on the database: the
 * statements of the embedded store, with a change locking its job's row ({@code SELECT ... FOR UPDATE}) for its
 * transaction, so two instances changing one job take turns, the expected status is checked against what is
 * committed, and events are numbered on from the last without a gap.
 */
public final class PostgresJobStore extends SqlJobStore {

    private PostgresJobStore(PostgresSettings settings, Clock clock) {
        super(PostgresDatabase.open(settings, "jobs"), PostgresDialect.INSTANCE, clock, "PostgreSQL at " + settings);
    }

    /**
     * @param settings where the database is
     * @param clock the clock for update times
     * @return the open store, its schema migrated
     * @throws dev.koder.training.api.StorageException when the database cannot be reached or migrated
     */
    public static PostgresJobStore open(PostgresSettings settings, Clock clock) {
        return new PostgresJobStore(settings, clock);
    }
}
