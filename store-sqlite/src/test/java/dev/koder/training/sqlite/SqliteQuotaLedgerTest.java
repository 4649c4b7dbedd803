package dev.koder.training.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.koder.training.api.QuotaExceededException;
import dev.koder.training.spi.QuotaLedger;
import dev.koder.training.tck.QuotaLedgerCompatibilityKit;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteQuotaLedgerTest extends QuotaLedgerCompatibilityKit {

    @TempDir
    Path other;

    @Override
    protected QuotaLedger openLedger(Path dir) {
        return SqliteQuotaLedger.open(dir.resolve("training.db"));
    }

    /** Sixteen connections, as sixteen processes would hold, so SQLite's own locking is what keeps the sum. */
    @Test
    void sixteenConnectionsReservingAtOnce_neverOverspend() throws Exception {
        Path file = other.resolve("training.db");
        List<QuotaLedger> ledgers = new ArrayList<>();
        ledgers.add(SqliteQuotaLedger.open(file));
        ledgers.get(0).setBudget("acme", 10);
        for (int i = 1; i < 16; i++) {
            ledgers.add(SqliteQuotaLedger.open(file));
        }
        ExecutorService pool = Executors.newFixedThreadPool(64);
        CountDownLatch go = new CountDownLatch(1);
        AtomicInteger granted = new AtomicInteger();
        List<Future<?>> all = new ArrayList<>();
        Instant now = Instant.parse("2026-11-15T12:00:00Z");
        try {
            for (int i = 0; i < 64; i++) {
                QuotaLedger ledger = ledgers.get(i % 16);
                String job = "job-" + i;
                all.add(pool.submit(() -> {
                    go.await();
                    try {
                        ledger.reserve("acme", job, 0.3, now);
                        granted.incrementAndGet();
                    } catch (QuotaExceededException e) {
                        // refused: the budget is spent
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : all) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdown();
            ledgers.forEach(QuotaLedger::close);
        }
        assertThat(granted.get()).as("10 / 0.3").isEqualTo(33);
        try (QuotaLedger check = SqliteQuotaLedger.open(file)) {
            assertThat(check.usage("acme", now).reservedGpuHours()).isCloseTo(9.9, within(1e-9));
        }
    }
}
