package dev.koder.training.scheduler;

import static dev.koder.training.scheduler.TierSchedulerTest.A100;
import static dev.koder.training.scheduler.TierSchedulerTest.H100;
import static dev.koder.training.scheduler.TierSchedulerTest.T0;
import static dev.koder.training.scheduler.TierSchedulerTest.job;
import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.Tier;
import dev.koder.training.scheduler.GpuPool.NodeState;
import dev.koder.training.scheduler.Queues.Level;
import dev.koder.training.scheduler.Reservations.Reservation;
import dev.koder.training.spi.JobScheduler.Allocation;
import dev.koder.training.spi.JobScheduler.Preemption;
import dev.koder.training.spi.JobScheduler.Request;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The pool's bookkeeping: who holds which GPU, when GPUs free up, what can never run, whom to preempt. */
class GpuPoolTest {

    static GpuPool pool(String spec) {
        GpuPool p = new GpuPool();
        p.pool(StaticGpuInventory.parse(spec).nodes(), 2);
        return p;
    }

    static Request runningFor(String id, Tier tier, int gpus, Duration runtime) {
        return job(id, "t", tier, 0, gpus, null, 0, runtime);
    }

    @Test
    void takingAndReleasing_keepTheFreeCountsAndTheIndexOfNodesWithFreeGpus() {
        GpuPool p = pool("a=4x" + H100 + "; b=2x" + H100);
        assertThat(p.totalFree).isEqualTo(6);
        assertThat(p.maxFree()).isEqualTo(4);
        p.take(runningFor("j1", Tier.PRO, 4, Duration.ofHours(1)), new Allocation("a", List.of(0, 1, 2, 3)),
                T0.plusSeconds(3600));
        assertThat(p.totalFree).isEqualTo(2);
        assertThat(p.maxFree()).isEqualTo(2);
        assertThat(p.withFree.get(0)).isFalse();
        assertThat(p.runningOf("t")).isEqualTo(1);
        assertThat(p.isRunning("j1")).isTrue();
        p.release("j1");
        assertThat(p.totalFree).isEqualTo(6);
        assertThat(p.withFree.get(0)).isTrue();
        assertThat(p.runningOf("t")).isZero();
        // a refreshed pool keeps what running jobs hold
        p.take(runningFor("j2", Tier.PRO, 1, Duration.ofHours(1)), new Allocation("b", List.of(1)), T0.plusSeconds(60));
        p.pool(StaticGpuInventory.parse("a=4x" + H100 + "; b=2x" + H100).nodes(), 2);
        assertThat(p.totalFree).isEqualTo(5);
    }

    @Test
    void readyAt_isWhenTheSoonestEndingJobsFreeEnoughFittingGpus() {
        GpuPool p = pool("a=4x" + H100);
        NodeState a = p.nodes.get(0);
        p.take(runningFor("short", Tier.PRO, 2, Duration.ofHours(1)), new Allocation("a", List.of(0, 1)),
                T0.plus(Duration.ofHours(1)));
        p.take(runningFor("long", Tier.PRO, 1, Duration.ofHours(5)), new Allocation("a", List.of(2)),
                T0.plus(Duration.ofHours(5)));
        assertThat(p.readyAt(a, job("one", "u", Tier.PRO, 0, 1), T0, null, null)).isEqualTo(T0);
        assertThat(p.readyAt(a, job("three", "u", Tier.PRO, 0, 3), T0, null, null)).isEqualTo(T0.plus(Duration.ofHours(1)));
        assertThat(p.readyAt(a, job("four", "u", Tier.PRO, 0, 4), T0, null, null)).isEqualTo(T0.plus(Duration.ofHours(5)));
        assertThat(p.readyAt(a, job("four", "u", Tier.PRO, 0, 4), T0, T0.plus(Duration.ofHours(2)), null)).isNull();
        assertThat(p.readyAt(a, job("five", "u", Tier.PRO, 0, 5), T0, null, null)).isNull();
        Set<Integer> gpus = new HashSet<>();
        p.readyAt(a, job("three", "u", Tier.PRO, 0, 3), T0, null, gpus);
        assertThat(gpus).containsExactlyInAnyOrder(0, 1, 3);
    }

    @Test
    void check_namesWhatNoNodeOfThePoolCanEverGive() {
        GpuPool p = pool("a=4x" + H100 + "; b=8x" + A100);
        assertThat(p.check(job("ok", "u", Tier.PRO, 0, 8))).isEmpty();
        assertThat(p.check(job("cpu", "u", Tier.PRO, 0, 0))).isEmpty();
        assertThat(p.check(job("nine", "u", Tier.PRO, 0, 9))).singleElement().satisfies(v -> assertThat(v.message())
                .isEqualTo("needs 9 GPUs on one node, and the largest node has 8"));
        assertThat(p.check(job("l4", "u", Tier.PRO, 0, 1, "L4", 0, Duration.ofHours(1)))).singleElement()
                .satisfies(v -> assertThat(v.message()).startsWith("no GPU of the pool is a L4; it has 4 x NVIDIA H100"));
        assertThat(p.check(job("h100x8", "u", Tier.PRO, 0, 8, "H100", 0, Duration.ofHours(1)))).singleElement()
                .satisfies(v -> assertThat(v.message()).isEqualTo("needs 8 GPUs of type H100 on one node, and the "
                        + "largest node has 4"));
        assertThat(p.check(job("big", "u", Tier.PRO, 0, 5, null, 60, Duration.ofHours(1)))).singleElement()
                .satisfies(v -> assertThat(v.message()).isEqualTo("needs 5 GPUs with 60.0 GiB each on one node, and "
                        + "no node has that many"));
        assertThat(pool("").check(job("any", "u", Tier.PRO, 0, 1))).singleElement().satisfies(v -> assertThat(
                v.message()).contains("this service's GPU pool is empty"));
    }

    @Test
    void preemption_picksTheNewestFreeTierJobsThatMakeRoom_andNotTheSameOneTwice() {
        GpuPool p = pool("a=4x" + H100);
        p.take(runningFor("pro", Tier.PRO, 2, Duration.ofHours(9)), new Allocation("a", List.of(0, 1)),
                T0.plus(Duration.ofHours(9)));
        p.take(runningFor("free-old", Tier.FREE, 1, Duration.ofHours(1)), new Allocation("a", List.of(2)),
                T0.plus(Duration.ofHours(1)));
        p.take(runningFor("free-new", Tier.FREE, 1, Duration.ofHours(3)), new Allocation("a", List.of(3)),
                T0.plus(Duration.ofHours(3)));
        List<Preemption> out = new ArrayList<>();
        p.preemptFor(job("ent", "e", Tier.ENTERPRISE, 0, 1), out);
        assertThat(out).containsExactly(new Preemption("free-new", "ent"));
        List<Preemption> again = new ArrayList<>();
        p.preemptFor(job("ent2", "e", Tier.ENTERPRISE, 0, 1), again);
        assertThat(again).containsExactly(new Preemption("free-old", "ent2"));
        List<Preemption> none = new ArrayList<>();
        p.preemptFor(job("ent3", "e", Tier.ENTERPRISE, 0, 3), none);
        assertThat(none).as("the pro job's GPUs are never taken").isEmpty();
    }

    @Test
    void aReservation_holdsTheNodeWhereGpusFreeSoonest_andJobsEndingBeforeItMayUseThem() {
        GpuPool p = pool("a=2x" + H100 + "; b=2x" + H100);
        p.take(runningFor("on-a", Tier.PRO, 2, Duration.ofHours(4)), new Allocation("a", List.of(0, 1)),
                T0.plus(Duration.ofHours(4)));
        p.take(runningFor("on-b", Tier.PRO, 1, Duration.ofHours(1)), new Allocation("b", List.of(0)),
                T0.plus(Duration.ofHours(1)));
        Reservations held = new Reservations(p);
        Reservation r = held.reserve(job("two", "u", Tier.PRO, 0, 2), T0, Level.PRO, List.of());
        assertThat(r.node().name).isEqualTo("b");
        assertThat(r.at()).isEqualTo(T0.plus(Duration.ofHours(1)));
        assertThat(r.gpus()).containsExactlyInAnyOrder(0, 1);
        assertThat(Reservations.reservedFree(r)).isEqualTo(1);
        assertThat(Reservations.endsBefore(job("quick", "u", Tier.PRO, 0, 1, null, 0, Duration.ofMinutes(30)), T0, r))
                .isTrue();
        assertThat(Reservations.endsBefore(job("slow", "u", Tier.PRO, 0, 1, null, 0, Duration.ofHours(2)), T0, r))
                .isFalse();
        Reservation other = held.reserve(job("two-more", "u", Tier.FREE, 0, 2), T0, Level.FREE, List.of(r));
        assertThat(other.node().name).as("a node is held for one level only").isEqualTo("a");
        p.release("on-b");
        assertThat(held.renew(r, job("two", "u", Tier.PRO, 0, 2), T0).at()).isEqualTo(T0);
    }
}
