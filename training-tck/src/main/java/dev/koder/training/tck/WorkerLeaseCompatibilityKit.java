package dev.koder.training.tck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.spi.WorkerLease;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What every {@link WorkerLease} must do: one holder at a time, a lease given up is taken at once, one whose holder
 * died or went silent is taken after the timeout it states and no sooner, and a holder that lost it hears so.
 * Extend it and implement {@link #openStore(Path)}; a lease with a timeout should state a short one here (a second or
 * two), as the kit waits it out.
 */
public abstract class WorkerLeaseCompatibilityKit extends StoreKit<WorkerLease> {

    /**
     * Ends an instance as its process's death would, without giving the lease up. By default it closes the lease:
     * right for leases the operating system ends with their process ({@link WorkerLease#timeout()} zero). A lease
     * with a timeout need do nothing: a dead holder just stops renewing.
     *
     * @param lease the lease of the instance that dies
     */
    protected void die(WorkerLease lease) {
        lease.close();
    }

    @Test
    void oneHolderAtATime_andEveryInstanceCanTellWhichOneItIs() {
        WorkerLease a = store();
        WorkerLease b = store();
        assertThat(a.name()).isNotEqualTo(b.name());
        assertThat(a.holder()).isEmpty();
        assertThat(a.tryAcquire()).isTrue();
        assertThat(b.tryAcquire()).as("a second instance while the first holds it").isFalse();
        assertThat(b.renew()).as("renewing a lease one does not hold").isFalse();
        assertThat(a.tryAcquire()).as("the holder taking it again").isTrue();
        assertThat(a.renew()).isTrue();
        assertThat(b.holder()).hasValueSatisfying(h -> assertThat(h).contains(a.name()));
        assertThat(a.holder()).hasValueSatisfying(h -> assertThat(h).contains(a.name()));
    }

    @Test
    void aLeaseGivenUp_isTakenByAnotherAtOnce_andTheFormerHolderHearsItIsNotHers() {
        WorkerLease a = store();
        WorkerLease b = store();
        assertThat(a.tryAcquire()).isTrue();
        a.release();
        a.release(); // twice is harmless
        assertThat(b.tryAcquire()).isTrue();
        assertThat(a.renew()).isFalse();
        assertThat(a.tryAcquire()).isFalse();
        assertThat(a.holder()).hasValueSatisfying(h -> assertThat(h).contains(b.name()));
    }

    @Test
    void aHolderThatDies_keepsItForItsTimeoutAndNoLonger_thenAnotherTakesIt() throws Exception {
        WorkerLease a = store();
        WorkerLease b = store();
        assertThat(a.tryAcquire()).isTrue();
        Duration timeout = a.timeout();
        assertThat(timeout.isNegative()).isFalse();
        assertThat(timeout).isLessThan(Duration.ofSeconds(30));
        long died = System.nanoTime();
        die(a);
        if (!timeout.isZero()) {
            assertThat(b.tryAcquire()).as("taken while the dead holder's lease runs").isFalse();
        }
        long deadline = died + timeout.toNanos() + TimeUnit.SECONDS.toNanos(5);
        boolean taken = false;
        while (!taken && System.nanoTime() < deadline) {
            taken = b.tryAcquire();
            if (!taken) {
                Thread.sleep(50);
            }
        }
        long after = System.nanoTime() - died;
        assertThat(taken).as("another instance takes it after the timeout, " + timeout).isTrue();
        assertThat(Duration.ofNanos(after)).as("not before the timeout").isGreaterThanOrEqualTo(timeout);
        if (!timeout.isZero()) {
            assertThat(a.renew()).as("the silent holder, back, renewing").isFalse();
            assertThat(a.tryAcquire()).isFalse();
        }
        assertThat(b.renew()).isTrue();
    }

    @Test
    void aHolderThatKeepsRenewing_keepsIt_pastItsTimeout() throws Exception {
        WorkerLease a = store();
        WorkerLease b = store();
        assertThat(a.tryAcquire()).isTrue();
        long end = System.nanoTime() + Math.max(a.timeout().toNanos() * 2, TimeUnit.MILLISECONDS.toNanos(300));
        while (System.nanoTime() < end) {
            assertThat(a.renew()).isTrue();
            assertThat(b.tryAcquire()).isFalse();
            Thread.sleep(Math.max(20, a.timeout().toMillis() / 4));
        }
    }

    @Test
    void sixteenInstancesTakingItAtOnce_exactlyOneWins() throws Exception {
        List<WorkerLease> leases = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            leases.add(store());
        }
        assertThat(race(16, i -> leases.get(i)::tryAcquire)).filteredOn(won -> won).hasSize(1);
    }
}
