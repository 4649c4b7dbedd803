package dev.koder.training.postgres;

import dev.koder.training.spi.PluginConfig;
import dev.koder.training.spi.QuotaLedger;
import dev.koder.training.spi.QuotaLedgerProvider;

/**
 * The quota ledger in PostgreSQL, chosen with {@code training.store=postgres} (or {@code training.quota=postgres}).
 * Ranked below the embedded ledger, so it is only used when named.
 */
public final class PostgresQuotaLedgerProvider extends PostgresPart<QuotaLedger> implements QuotaLedgerProvider {

    @Override
    QuotaLedger open(PostgresSettings settings, PluginConfig config) {
        return PostgresQuotaLedger.open(settings);
    }
}
