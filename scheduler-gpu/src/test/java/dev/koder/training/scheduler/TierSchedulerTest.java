package dev.koder.training.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.Tier;
import dev.koder.training.api.Violation;
import dev.koder.training.spi.JobScheduler.Allocation;
import dev.koder.training.spi.JobScheduler.Decision;
import dev.koder.training.spi.JobScheduler.Request;
import dev.koder.training.spi.JobScheduler.Start;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class TierSchedulerTest {

    static final Instant T0 = Instant.parse("2026-11-27T10:00:00Z");
    static final String H100 = "NVIDIA H100 80GB HBM3@80";
    static final String A100 = "NVIDIA A100-SXM4-40GB@40";

    TierScheduler scheduler(String pool, TierScheduler.Config config) {
        TierScheduler s = new TierScheduler(config);
        s.pool(StaticGpuInventory.parse(pool).nodes(), 2);
        return s;
    }

    TierScheduler scheduler(String pool) {
        return scheduler(pool, TierScheduler.Config.defaults());
    }

    static Request job(String id, String tenant, Tier tier, int secondsAfter, int gpus) {
        return job(id, tenant, tier, secondsAfter, gpus, null, 0, Duration.ofHours(1));
    }

    static Request job(String id, String tenant, Tier tier, int secondsAfter, int gpus, String type, double memory,
            Duration runtime) {
        return new Request(id, tenant, tier, T0.plusSeconds(secondsAfter), gpus, type, memory, runtime);
    }

    static List<String> started(Decision d) {
        return d.starts().stream().map(Start::jobId).collect(Collectors.toList());
    }

    @Test
    void enterpriseBeforePro_beforeFree_whateverTheArrivalOrder() {
        TierScheduler s = scheduler("n=1x" + H100);
        s.enqueue(job("free", "a", Tier.FREE, 0, 1));
        s.enqueue(job("pro", "b", Tier.PRO, 1, 1));
        s.enqueue(job("ent", "c", Tier.ENTERPRISE, 2, 1));
        assertThat(started(s.schedule(T0))).containsExactly("ent");
        s.release("ent");
        assertThat(started(s.schedule(T0))).containsExactly("pro");
        s.release("pro");
        assertThat(started(s.schedule(T0))).containsExactly("free");
    }

    @Test
    void withinATier_tenantsTakeTurns_andEachTenantIsFirstComeFirstServed() {
        TierScheduler s = scheduler("n=1x" + H100);
        for (int i = 0; i < 1000; i++) {
            s.enqueue(job("a" + i, "busy", Tier.PRO, i, 1));
        }
        s.enqueue(job("b0", "newcomer", Tier.PRO, 5000, 1));
        s.enqueue(job("b1", "newcomer", Tier.PRO, 5001, 1));
        StringBuilder order = new StringBuilder();
        for (int i = 0; i < 5; i++) {
            List<String> got = started(s.schedule(T0));
            assertThat(got).hasSize(1);
            order.append(got.get(0)).append(' ');
            s.release(got.get(0));
        }
        assertThat(order.toString().trim()).isEqualTo("a0 b0 a1 b1 a2");
    }

    @Test
    void aJobGetsAllItsGpusOnOneNode_orWaits() {
        TierScheduler s = scheduler("x=2x" + H100 + ";y=2x" + H100);
        s.enqueue(job("four", "a", Tier.PRO, 0, 4));
        Decision d = s.schedule(T0);
        assertThat(d.starts()).isEmpty();
        assertThat(s.reason("four")).get().asString().startsWith("needs 4 x GPU, 2 free on one node");
        TierScheduler big = scheduler("x=2x" + H100 + ";y=4x" + H100);
        big.enqueue(job("four", "a", Tier.PRO, 0, 4));
        assertThat(big.schedule(T0).starts()).containsExactly(new Start("four", new Allocation("y", List.of(0, 1, 2, 3))));
    }

    @Test
    void aJobGoesOnlyWhereItsMemoryAndTypeFit_bestFitFirst() {
        TierScheduler s = scheduler("small=4x" + A100 + ";big=2x" + H100 + ";bigger=8x" + H100);
        s.enqueue(job("needs-60", "a", Tier.PRO, 0, 1, null, 60, Duration.ofHours(1)));
        s.enqueue(job("a100", "a", Tier.PRO, 1, 2, "A100", 0, Duration.ofHours(1)));
        Decision d = s.schedule(T0);
        assertThat(d.starts()).containsExactly(new Start("needs-60", new Allocation("big", List.of(0))),
                new Start("a100", new Allocation("small", List.of(0, 1))));
    }

    @Test
    void aTenantAtItsLimit_waits_whileOthersRun() {
        TierScheduler s = scheduler("n=4x" + H100, new TierScheduler.Config(Map.of(), Map.of("greedy", 2),
                Integer.MAX_VALUE, 100, false));
        for (int i = 0; i < 3; i++) {
            s.enqueue(job("g" + i, "greedy", Tier.PRO, i, 1));
        }
        s.enqueue(job("o", "other", Tier.PRO, 10, 1));
        assertThat(started(s.schedule(T0))).containsExactlyInAnyOrder("g0", "g1", "o");
        assertThat(s.reason("g2")).contains("tenant greedy already runs 2 jobs, its limit");
    }

    @Test
    void backfill_neverDelaysTheReservedHeadJob() {
        TierScheduler s = scheduler("n=8x" + H100);
        s.running(job("long", "x", Tier.PRO, 0, 6, null, 0, Duration.ofHours(2)), new Allocation("n",
                List.of(0, 1, 2, 3, 4, 5)), T0);
        s.enqueue(job("head", "a", Tier.ENTERPRISE, 1, 8, null, 0, Duration.ofHours(1)));
        s.enqueue(job("short", "b", Tier.FREE, 2, 2, null, 0, Duration.ofMinutes(30)));
        s.enqueue(job("too-long", "c", Tier.FREE, 3, 2, null, 0, Duration.ofHours(3)));
        Decision d = s.schedule(T0);
        assertThat(started(d)).as("the 30-minute job ends before the head can start at +2h").containsExactly("short");
        assertThat(s.reason("head")).get().asString().contains("expected to start by 12:00 UTC");
        assertThat(s.reason("too-long")).get().asString().contains("GPUs are held for job head from 12:00 UTC");
    }

    @Test
    void aJobWaitingLongerThanItsTiersMaximum_isPromotedAboveEveryTier() {
        TierScheduler s = scheduler("n=1x" + H100, new TierScheduler.Config(Map.of(Tier.FREE, Duration.ofHours(1)),
                Map.of(), Integer.MAX_VALUE, 100, false));
        s.running(job("busy", "x", Tier.PRO, 0, 1), new Allocation("n", List.of(0)), T0);
        s.enqueue(job("old-free", "a", Tier.FREE, 0, 1));
        s.enqueue(job("ent", "b", Tier.ENTERPRISE, 1800, 1));
        s.release("busy");
        assertThat(started(s.schedule(T0.plus(Duration.ofMinutes(61))))).containsExactly("old-free");
    }

    @Test
    void enterpriseJobs_preemptFreeTierJobs_whenEnabled() {
        TierScheduler.Config preempting = new TierScheduler.Config(Map.of(), Map.of(), Integer.MAX_VALUE, 100, true);
        TierScheduler s = scheduler("n=2x" + H100, preempting);
        s.running(job("f1", "x", Tier.FREE, 0, 1), new Allocation("n", List.of(0)), T0);
        s.running(job("p1", "y", Tier.PRO, 0, 1), new Allocation("n", List.of(1)), T0);
        s.enqueue(job("ent", "z", Tier.ENTERPRISE, 5, 1));
        Decision d = s.schedule(T0);
        assertThat(d.starts()).isEmpty();
        assertThat(d.preemptions()).extracting(p -> p.jobId() + "->" + p.forJobId()).containsExactly("f1->ent");
        assertThat(s.schedule(T0).preemptions()).as("asked once").isEmpty();
        s.release("f1");
        assertThat(started(s.schedule(T0))).containsExactly("ent");

        TierScheduler polite = scheduler("n=1x" + H100);
        polite.running(job("f1", "x", Tier.FREE, 0, 1), new Allocation("n", List.of(0)), T0);
        polite.enqueue(job("ent", "z", Tier.ENTERPRISE, 5, 1));
        assertThat(polite.schedule(T0).preemptions()).isEmpty();
    }

    @Test
    void cpuJobs_useCpuSlots_andNeverGpus() {
        TierScheduler s = scheduler("n=1x" + H100);
        s.enqueue(job("c1", "a", Tier.FREE, 0, 0));
        s.enqueue(job("c2", "a", Tier.FREE, 1, 0));
        s.enqueue(job("c3", "a", Tier.FREE, 2, 0));
        s.enqueue(job("g", "a", Tier.FREE, 3, 1));
        Decision d = s.schedule(T0);
        assertThat(started(d)).containsExactly("c1", "c2", "g");
        assertThat(s.reason("c3")).get().asString().startsWith("all 2 CPU slots are busy");
    }

    @Test
    void impossibleRequests_areNamedWithTheReason() {
        TierScheduler s = scheduler("a=8x" + H100 + ";b=4x" + A100);
        assertThat(s.check(job("j", "t", Tier.PRO, 0, 9))).extracting(Violation::toString)
                .containsExactly("/resources/gpus: needs 9 GPUs on one node, and the largest node has 8");
        assertThat(s.check(job("j", "t", Tier.PRO, 0, 1, null, 200, Duration.ofHours(1)))).extracting(Violation::toString)
                .containsExactly("/resources: needs 200.0 GiB on each GPU (its min_gpu_memory_gib or its estimated "
                        + "peak), and the largest GPU of the pool has 80 GiB");
        assertThat(s.check(job("j", "t", Tier.PRO, 0, 1, "TPU v5", 0, Duration.ofHours(1))))
                .extracting(Violation::toString).containsExactly("/resources/gpu_type: no GPU of the pool is a TPU v5; "
                        + "it has 8 x NVIDIA H100 80GB HBM3, 4 x NVIDIA A100-SXM4-40GB");
        assertThat(s.check(job("j", "t", Tier.PRO, 0, 4, "A100", 0, Duration.ofHours(1)))).isEmpty();
        assertThat(s.check(job("j", "t", Tier.PRO, 0, 0))).isEmpty();
        TierScheduler empty = new TierScheduler(TierScheduler.Config.defaults());
        empty.pool(List.of(), 1);
        assertThat(empty.check(job("j", "t", Tier.PRO, 0, 1))).singleElement().asString()
                .startsWith("/resources/gpus: needs 1 GPU, and this service's GPU pool is empty");
    }

    @Test
    void releasedGpus_goToTheNextJob() {
        TierScheduler s = scheduler("n=2x" + H100);
        s.enqueue(job("a", "t", Tier.PRO, 0, 2));
        s.enqueue(job("b", "t", Tier.PRO, 1, 2));
        assertThat(started(s.schedule(T0))).containsExactly("a");
        assertThat(s.schedule(T0).starts()).isEmpty();
        s.release("a");
        assertThat(s.schedule(T0).starts()).containsExactly(new Start("b", new Allocation("n", List.of(0, 1))));
        s.dequeue("b");
        s.release("b");
        s.enqueue(job("c", "t", Tier.PRO, 2, 2));
        assertThat(started(s.schedule(T0))).containsExactly("c");
    }
}
