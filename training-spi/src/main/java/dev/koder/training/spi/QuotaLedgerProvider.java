package dev.koder.training.spi;

/** Creates a {@link QuotaLedger}; listed in {@code META-INF/services/dev.koder.training.spi.QuotaLedgerProvider}. */
public interface QuotaLedgerProvider extends Provider<QuotaLedger> {
}
