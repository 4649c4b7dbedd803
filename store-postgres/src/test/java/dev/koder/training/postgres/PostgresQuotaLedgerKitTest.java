package dev.koder.training.postgres;

import dev.koder.training.spi.QuotaLedger;
import dev.koder.training.tck.QuotaLedgerCompatibilityKit;
import java.nio.file.Path;

/**
 * The quota ledger compatibility kit against a real PostgreSQL server: among it 64 threads reserving at once through
 * two ledgers (as two service instances would, each reservation on a connection of its own) against one budget.
 */
class PostgresQuotaLedgerKitTest extends QuotaLedgerCompatibilityKit {

    @Override
    protected QuotaLedger openLedger(Path dir) {
        return PostgresQuotaLedger.open(PostgresServer.get().settings(dir));
    }
}
