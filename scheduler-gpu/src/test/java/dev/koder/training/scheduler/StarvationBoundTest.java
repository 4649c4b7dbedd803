package dev.koder.training.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.Tier;
import dev.koder.training.scheduler.sim.Simulator;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A property of the tier scheduler, checked on random traces: under an enterprise load that alone keeps the
 * pool busy, a free-tier job still starts within its tier's maximum wait plus one maximum runtime for itself
 * and for each earlier free job still waiting when it was promoted. Without promotion the same traces starve
 * free jobs.
 */
class StarvationBoundTest {

    static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");
    static final Duration MAX_WAIT = Duration.ofHours(2);
    static final Duration MAX_RUNTIME = Duration.ofHours(1);
    static final Instant HORIZON = T0.plus(Duration.ofDays(3));

    static List<Simulator.Job> trace(long seed) {
        Random rnd = new Random(seed);
        List<Simulator.Job> jobs = new ArrayList<>();
        Instant t = T0;
        int n = 0;
        while (t.isBefore(T0.plus(Duration.ofDays(2)))) {
            t = t.plusSeconds(60 + rnd.nextInt(240));
            Duration runtime = Duration.ofMinutes(5 + rnd.nextInt(56));
            boolean free = rnd.nextInt(10) == 0;
            int gpus = 1 + rnd.nextInt(free ? 8 : 4);
            jobs.add(new Simulator.Job("j" + n++, free ? "f" + rnd.nextInt(3) : "e" + rnd.nextInt(5),
                    free ? Tier.FREE : Tier.ENTERPRISE, t, gpus, runtime, runtime));
        }
        return jobs;
    }

    static List<Simulator.Outcome> simulate(List<Simulator.Job> trace, Map<Tier, Duration> maxWait) {
        TierScheduler s = new TierScheduler(new TierScheduler.Config(maxWait, Map.of(), Integer.MAX_VALUE, 100, false));
        return new Simulator(s, StaticGpuInventory.parse("n=8xNVIDIA H100 80GB HBM3@80").nodes(), 1).run(trace,
                HORIZON);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
    void everyFreeJob_startsWithinTheBound(long seed) {
        List<Simulator.Job> trace = trace(seed);
        List<Simulator.Outcome> out = simulate(trace, Map.of(Tier.FREE, MAX_WAIT));
        List<Simulator.Outcome> free = out.stream().filter(o -> o.job().tier() == Tier.FREE).toList();
        assertThat(free).isNotEmpty();
        for (Simulator.Outcome o : free) {
            Instant promoted = o.job().arrival().plus(MAX_WAIT);
            long earlierStillWaiting = free.stream().filter(x -> x.job().arrival().isBefore(o.job().arrival()))
                    .filter(x -> x.start() == null || x.start().isAfter(promoted)).count();
            Duration bound = MAX_WAIT.plus(MAX_RUNTIME.multipliedBy(earlierStillWaiting + 1));
            assertThat(o.start()).as("job %s started", o.job().id()).isNotNull();
            assertThat(o.waited(HORIZON)).as("job %s waited (bound %s)", o.job().id(), bound)
                    .isLessThanOrEqualTo(bound);
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void withoutPromotion_theSameLoadStarvesFreeJobs(long seed) {
        List<Simulator.Outcome> out = simulate(trace(seed), Map.of());
        Duration longest = out.stream().filter(o -> o.job().tier() == Tier.FREE).map(o -> o.waited(HORIZON))
                .max(Duration::compareTo).orElseThrow();
        assertThat(longest).isGreaterThan(MAX_WAIT.multipliedBy(5));
    }
}
