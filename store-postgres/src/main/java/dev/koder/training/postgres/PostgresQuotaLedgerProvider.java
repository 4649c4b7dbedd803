package dev.koder.training.postgres;

import dev.koder.training.spi.PluginConfig;
import dev.koder.training.spi.QuotaLedger;
import dev.koder.training.spi.QuotaLedgerProvider;

/**
 * The quota ledger in PostgreSQL ({@code training.quota=postgres}). Ranked below the embedded ledger, so it is only
 * used when named.
 */
public final class PostgresQuotaLedgerProvider implements QuotaLedgerProvider {

    @Override
    public String name() {
        return "postgres";
    }

    @Override
    public int priority() {
        return -200;
    }

    @Override
    public QuotaLedger create(PluginConfig config) {
        return PostgresQuotaLedger.open(PostgresSettings.from(config, System.getenv()));
    }
}
