package dev.koder.training.sqlite;

import dev.koder.training.spi.PluginConfig;
import dev.koder.training.spi.QuotaLedger;
import dev.koder.training.spi.QuotaLedgerProvider;

/** The default quota ledger: in {@code <home>/training.db}. Lowest priority, so any installed ledger wins. */
public final class SqliteQuotaLedgerProvider implements QuotaLedgerProvider {

    @Override
    public String name() {
        return "sqlite";
    }

    @Override
    public int priority() {
        return -100;
    }

    @Override
    public QuotaLedger create(PluginConfig config) {
        return SqliteQuotaLedger.open(config.home().resolve(SqliteJobStoreProvider.FILE));
    }
}
