package dev.koder.training.sqlite;

import dev.koder.training.spi.PluginConfig;
import dev.koder.training.spi.QuotaLedger;
import dev.koder.training.spi.QuotaLedgerProvider;
import java.nio.file.Path;

/** The default quota ledger: in {@code <home>/training.db}. Lowest priority, so any installed ledger wins. */
public final class SqliteQuotaLedgerProvider extends SqlitePart<QuotaLedger> implements QuotaLedgerProvider {

    @Override
    QuotaLedger open(Path file, PluginConfig config) {
        return SqliteQuotaLedger.open(file);
    }
}
