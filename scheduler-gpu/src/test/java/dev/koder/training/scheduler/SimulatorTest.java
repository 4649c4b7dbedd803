package dev.koder.training.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.Tier;
import dev.koder.training.scheduler.sim.GlobalFifoScheduler;
import dev.koder.training.scheduler.sim.Simulator;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The trace simulator itself: GPU time accounting and preempted jobs resuming. */
class SimulatorTest {

    static final Instant T0 = Instant.parse("2026-11-02T00:00:00Z");
    static final String POOL = "n=4xNVIDIA H100 80GB HBM3@80";

    static Simulator.Job job(String id, String tenant, Tier tier, int minute, int gpus, int minutes) {
        Duration runtime = Duration.ofMinutes(minutes);
        return new Simulator.Job(id, tenant, tier, T0.plus(Duration.ofMinutes(minute)), gpus, runtime, runtime);
    }

    @Test
    void anEnterpriseJob_preemptsFreeOnes_whichResumeAndFinish_andGpuTimeAddsUp() {
        TierScheduler scheduler = new TierScheduler(new TierScheduler.Config(Map.of(), Map.of(), Integer.MAX_VALUE,
                100, true));
        Simulator sim = new Simulator(scheduler, StaticGpuInventory.parse(POOL).nodes(), 1, Duration.ofMinutes(2));
        List<Simulator.Job> trace = List.of(job("free", "f", Tier.FREE, 0, 4, 60),
                job("ent", "e", Tier.ENTERPRISE, 10, 4, 30));
        Duration horizon = Duration.ofHours(4);
        List<Simulator.Outcome> out = sim.run(trace, T0.plus(horizon));
        Simulator.Outcome free = out.get(0);
        Simulator.Outcome ent = out.get(1);
        assertThat(ent.start()).isEqualTo(T0.plus(Duration.ofMinutes(10)));
        assertThat(free.preempted()).isEqualTo(1);
        assertThat(free.start()).as("first start").isEqualTo(T0);
        assertThat(free.end()).as("10 min, then 30 min of enterprise, then 50 left + 2 restart")
                .isEqualTo(T0.plus(Duration.ofMinutes(10 + 30 + 52)));
        assertThat(sim.busyGpuSeconds()).isEqualTo(4 * 60.0 * (10 + 30 + 52));
        assertThat(sim.utilisation(horizon)).isCloseTo(92 / 240.0, org.assertj.core.api.Assertions.within(1e-9));
    }

    @Test
    void aWholeNodeEnterpriseJob_isNotStarvedByAStreamOfPromotedJobs() {
        // Promoted 4-GPU jobs keep both nodes busy; each new promoted head would like the node being drained for
        // the enterprise job. The enterprise job's reservation stands, so it starts once its node drains.
        List<Simulator.Job> trace = new java.util.ArrayList<>();
        for (int i = 0; i < 60; i++) {
            trace.add(job("f" + i, "free-" + i % 3, Tier.FREE, i * 15, 4, 60));
        }
        trace.add(job("big", "ent", Tier.ENTERPRISE, 120, 8, 60));
        trace.sort(java.util.Comparator.comparing(Simulator.Job::arrival));
        TierScheduler scheduler = new TierScheduler(new TierScheduler.Config(Map.of(Tier.FREE, Duration.ofMinutes(1)),
                Map.of(), Integer.MAX_VALUE, 100, false));
        List<Simulator.Outcome> out = new Simulator(scheduler, StaticGpuInventory.parse(
                "a=8xNVIDIA H100 80GB HBM3@80;b=8xNVIDIA H100 80GB HBM3@80").nodes(), 1)
                .run(trace, T0.plus(Duration.ofDays(1)));
        Simulator.Outcome big = out.stream().filter(o -> o.job().id().equals("big")).findFirst().orElseThrow();
        assertThat(big.start()).as("started").isNotNull();
        assertThat(big.waited(T0.plus(Duration.ofDays(1)))).as("within one runtime of the jobs ahead")
                .isLessThanOrEqualTo(Duration.ofMinutes(60));
    }

    @Test
    void withoutPreemption_andUnderGlobalFifo_theHeadBlocksTheQueue() {
        List<Simulator.Job> trace = List.of(job("a", "x", Tier.FREE, 0, 2, 60), job("big", "y", Tier.FREE, 1, 4, 10),
                job("small", "z", Tier.FREE, 2, 1, 10));
        List<Simulator.Outcome> fifo = new Simulator(new GlobalFifoScheduler(), StaticGpuInventory.parse(POOL).nodes(),
                1).run(trace, T0.plus(Duration.ofHours(4)));
        assertThat(fifo.get(2).start()).as("behind the 4-GPU head").isEqualTo(T0.plus(Duration.ofMinutes(70)));
        List<Simulator.Outcome> tier = new Simulator(new TierScheduler(TierScheduler.Config.defaults()),
                StaticGpuInventory.parse(POOL).nodes(), 1).run(trace, T0.plus(Duration.ofHours(4)));
        assertThat(tier.get(2).start()).as("backfilled: ends before the head's reserved start")
                .isEqualTo(T0.plus(Duration.ofMinutes(2)));
        assertThat(tier.get(1).start()).as("the head is not delayed").isEqualTo(T0.plus(Duration.ofMinutes(60)));
    }
}
