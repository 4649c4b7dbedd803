package dev.koder.training.core.store;

import dev.koder.training.spi.QuotaLedger;
import dev.koder.training.tck.QuotaLedgerCompatibilityKit;
import java.nio.file.Path;

class SqliteQuotaLedgerTest extends QuotaLedgerCompatibilityKit {

    @Override
    protected QuotaLedger openLedger(Path dir) {
        return SqliteQuotaLedger.open(dir.resolve("training.db"));
    }
}
