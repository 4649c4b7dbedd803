package dev.koder.training.scheduler;

import static dev.koder.training.scheduler.TierSchedulerTest.T0;
import static dev.koder.training.scheduler.TierSchedulerTest.job;
import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.Tier;
import dev.koder.training.scheduler.Queues.Level;
import dev.koder.training.scheduler.Queues.Pending;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The waiting jobs: tenants in rotation within a tier, each tenant's jobs oldest first, promotion, counts. */
class QueuesTest {

    static List<String> ids(Iterator<Pending> it) {
        List<String> out = new ArrayList<>();
        it.forEachRemaining(p -> out.add(p.request.jobId()));
        return out;
    }

    @Test
    void aTier_offersEachTenantsOldestFirst_thenTheirSecond_inRotation() {
        Queues q = new Queues();
        q.add(job("a1", "a", Tier.PRO, 0, 1));
        q.add(job("a2", "a", Tier.PRO, 1, 1));
        q.add(job("a3", "a", Tier.PRO, 2, 1));
        q.add(job("b1", "b", Tier.PRO, 3, 1));
        q.add(job("c1", "c", Tier.PRO, 4, 1));
        q.add(job("c2", "c", Tier.PRO, 5, 1));
        assertThat(ids(q.order(Level.PRO))).containsExactly("a1", "b1", "c1", "a2", "c2", "a3");
        assertThat(q.size(Level.PRO)).isEqualTo(6);
        assertThat(q.higherThan(Level.PRO)).isZero();

        // a tenant that got a start goes to the end of the rotation
        Pending a1 = q.get("a1");
        q.leaving("a1");
        assertThat(q.get("a1")).isNull();
        q.started(a1);
        assertThat(ids(q.order(Level.PRO))).containsExactly("b1", "c1", "a2", "c2", "a3");
        assertThat(q.size(Level.PRO)).isEqualTo(5);
    }

    @Test
    void jobsWaitingPastTheirTiersMaximum_arePromotedAboveEveryTier_oldestFirst() {
        Queues q = new Queues();
        q.add(job("free-old", "a", Tier.FREE, 0, 2));
        q.add(job("pro-old", "b", Tier.PRO, 10, 1));
        q.add(job("free-new", "a", Tier.FREE, 7200, 1));
        q.add(job("ent", "c", Tier.ENTERPRISE, 20, 1));
        q.promote(T0.plus(Duration.ofHours(2)), Map.of(Tier.FREE, Duration.ofHours(1), Tier.PRO, Duration.ofHours(1)));
        assertThat(ids(q.order(Level.PROMOTED))).containsExactly("free-old", "pro-old");
        assertThat(ids(q.order(Level.FREE))).containsExactly("free-new");
        assertThat(q.get("free-old").level).isEqualTo(Level.PROMOTED);
        assertThat(q.higherThan(Level.ENTERPRISE)).isEqualTo(2);
        assertThat(q.ahead(q.get("pro-old"))).isEqualTo(1);
        assertThat(q.ahead(q.get("free-new"))).isEqualTo(3);
    }

    @Test
    void theSmallestJobOfALevel_isKnownWithoutLookingAtTheQueue_andRemovalsKeepItTrue() {
        Queues q = new Queues();
        q.add(job("big", "a", Tier.PRO, 0, 8));
        q.add(job("mid", "a", Tier.PRO, 1, 4));
        q.add(job("huge", "a", Tier.PRO, 2, 100));
        assertThat(q.smallest(Level.PRO)).isEqualTo(4);
        assertThat(q.remove("mid")).isTrue();
        assertThat(q.smallest(Level.PRO)).isEqualTo(8);
        assertThat(q.remove("big")).isTrue();
        assertThat(q.smallest(Level.PRO)).isEqualTo(Queues.SIZES - 1);
        assertThat(q.remove("huge")).isTrue();
        assertThat(q.remove("huge")).isFalse();
        assertThat(q.smallest(Level.PRO)).isEqualTo(Integer.MAX_VALUE);
        assertThat(q.smallest(Level.FREE)).isEqualTo(Integer.MAX_VALUE);
    }
}
