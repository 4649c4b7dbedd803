package dev.koder.training.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.koder.training.api.QuotaExceededException;
import dev.koder.training.api.Quotas;
import dev.koder.training.spi.QuotaLedger;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;
import org.junit.jupiter.api.io.TempDir;

/** What every {@link QuotaLedger} must do. Extend it and implement {@link #openLedger(Path)}. */
public abstract class QuotaLedgerCompatibilityKit {

    static final Instant NOV = Instant.parse("2026-11-15T12:00:00Z");
    static final Instant DEC = Instant.parse("2026-12-01T00:00:00Z");

    /** A folder the ledger may use; the same for every {@link #openLedger(Path)} call of one test. */
    @TempDir
    protected Path dir;

    /** The ledger under test. */
    protected QuotaLedger ledger;

    /**
     * @param dir a folder the ledger may write to
     * @return a ledger; a second one on the same folder must see the first one's data
     */
    protected abstract QuotaLedger openLedger(Path dir);

    @BeforeEach
    void open(TestReporter reporter) {
        ledger = openLedger(dir);
        reporter.publishEntry("implementation", ledger.getClass().getName());
    }

    @AfterEach
    void close() {
        ledger.close();
    }

    @Test
    void aTenantWithoutBudget_isNotLimited() {
        ledger.reserve("acme", "j1", 1_000_000, NOV);
        assertThat(ledger.usage("acme", NOV).remaining()).isInfinite();
        assertThat(ledger.budget("acme")).isEmpty();
    }

    @Test
    void aReservationBeyondTheBudget_isRefusedWithTheNumbers() {
        ledger.setBudget("acme", 40);
        ledger.reserve("acme", "j1", 38.9, NOV);
        assertThatThrownBy(() -> ledger.reserve("acme", "j2", 3.2, NOV))
                .isInstanceOfSatisfying(QuotaExceededException.class, e -> {
                    assertThat(e.needed()).isEqualTo(3.2);
                    assertThat(e.remaining()).isCloseTo(1.1, within(1e-9));
                    assertThat(e.budget()).isEqualTo(40);
                    assertThat(e.period()).isEqualTo("2026-11");
                    assertThat(e.retriable()).isTrue();
                })
                .hasMessage("Tenant acme's GPU-hour budget is exceeded: the job needs 3.20 GPU-h; 1.10 of 40.00 left in "
                        + "2026-11.");
        assertThat(ledger.entry("j2")).isEmpty();
    }

    @Test
    void settling_keepsWhatWasUsed_andReleasesTheRest() {
        ledger.setBudget("acme", 10);
        ledger.reserve("acme", "j1", 6, NOV);
        ledger.charge("j1", 1, 1.5);
        ledger.charge("j1", 2, 0.25);
        ledger.charge("j1", 2, 0.5); // the same attempt again: its figure replaced, not added
        Quotas.QuotaUsage during = ledger.usage("acme", NOV);
        assertThat(during.usedGpuHours()).isEqualTo(2.0);
        assertThat(during.reservedGpuHours()).isEqualTo(4.0);
        assertThat(during.remaining()).isEqualTo(4.0);
        ledger.settle("j1");
        assertThat(ledger.usage("acme", NOV).remaining()).isEqualTo(8.0);
        ledger.charge("j1", 2, 0.5); // decided again after a crash: the same figure, still once
        assertThat(ledger.entry("j1")).get().satisfies(e -> {
            assertThat(e.settled()).isTrue();
            assertThat(e.usedGpuHours()).isEqualTo(2.0);
        });
    }

    @Test
    void eachMonth_hasItsOwnBudget() {
        ledger.setBudget("acme", 5);
        ledger.reserve("acme", "j1", 5, NOV);
        ledger.reserve("acme", "j2", 5, DEC);
        assertThat(ledger.usage("acme", NOV).remaining()).isZero();
        assertThat(ledger.usage("acme", DEC).period()).isEqualTo("2026-12");
    }

    @Test
    void clearingABudget_liftsTheLimit_andKeepsTheRecord() {
        ledger.setBudget("zeta", 1);
        ledger.setBudget("acme", 2);
        ledger.reserve("acme", "j1", 2, NOV);
        ledger.reserve("beta", "j2", 1, NOV);
        assertThat(ledger.tenants()).containsExactly("acme", "beta", "zeta");
        assertThat(ledger.clearBudget("acme")).isTrue();
        assertThat(ledger.clearBudget("acme")).isFalse();
        assertThat(ledger.budget("acme")).isEmpty();
        ledger.reserve("acme", "j3", 100, NOV);
        assertThat(ledger.usage("acme", NOV).reservedGpuHours()).isEqualTo(102.0);
        assertThat(ledger.tenants()).containsExactly("acme", "beta", "zeta");
    }

    @Test
    void aNegativeBudget_isRefused() {
        assertThatThrownBy(() -> ledger.setBudget("acme", -1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0 or more");
    }

    @Test
    void aBudgetForATenantNoSpecCouldName_isRefused_andNotKept() {
        for (String tenant : new String[] {"../x", "acme corp", "", "-acme"}) {
            assertThatThrownBy(() -> ledger.setBudget(tenant, 5)).as(tenant)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tenant must be");
        }
        assertThat(ledger.tenants()).isEmpty();
    }

    @Test
    void oneJob_reservesOnce() {
        ledger.reserve("acme", "j1", 1, NOV);
        assertThatThrownBy(() -> ledger.reserve("acme", "j1", 1, NOV)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void sixtyFourThreadsReservingAtOnce_throughTwoLedgers_neverOverspend() throws Exception {
        ledger.setBudget("acme", 10);
        // a second ledger on the same storage, as another process or service instance opens it
        QuotaLedger replica = openLedger(dir);
        ExecutorService pool = Executors.newFixedThreadPool(64);
        CountDownLatch go = new CountDownLatch(1);
        AtomicInteger granted = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        List<Future<?>> all = new ArrayList<>();
        try {
            for (int i = 0; i < 64; i++) {
                int n = i;
                QuotaLedger through = n % 2 == 0 ? ledger : replica;
                all.add(pool.submit(() -> {
                    go.await();
                    try {
                        through.reserve("acme", "job-" + n, 0.5, NOV);
                        granted.incrementAndGet();
                    } catch (QuotaExceededException e) {
                        refused.incrementAndGet();
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : all) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdown();
            replica.close();
        }
        assertThat(granted.get()).isEqualTo(20);
        assertThat(refused.get()).isEqualTo(44);
        assertThat(ledger.usage("acme", NOV).reservedGpuHours()).isCloseTo(10.0, within(1e-9));
    }

    @Test
    void reopening_keepsBudgetsAndReservations() {
        ledger.setBudget("acme", 7);
        ledger.reserve("acme", "j1", 3, NOV);
        ledger.close();
        ledger = openLedger(dir);
        assertThat(ledger.budget("acme")).contains(7.0);
        assertThat(ledger.usage("acme", NOV).remaining()).isEqualTo(4.0);
    }
}
