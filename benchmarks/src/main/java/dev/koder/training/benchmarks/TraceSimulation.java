package dev.koder.training.benchmarks;

import dev.koder.training.api.GpuNode;
import dev.koder.training.api.Tier;
import dev.koder.training.scheduler.StaticGpuInventory;
import dev.koder.training.scheduler.TierScheduler;
import dev.koder.training.scheduler.sim.GlobalFifoScheduler;
import dev.koder.training.scheduler.sim.Simulator;
import dev.koder.training.spi.JobScheduler;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * Thirty simulated days of a shared GPU pool, replayed through the tier scheduler and through one global FIFO
 * queue, from the same trace. Prints utilisation and, per tier, waits (p50, p95, p99, maximum) and Jain's
 * fairness index across the tier's tenants.
 *
 * <p>The trace (seeded, so every run prints the same figures):
 * <ul>
 *   <li>Pool: 16 nodes of 8 H100 80GB (128 GPUs).</li>
 *   <li>Tenants: enterprise {@code ent-a, ent-b}; pro {@code pro-a, pro-b, pro-c}; free {@code free-a ... free-d}.
 *       In each tier the first tenant submits three times as many jobs as each of the others.</li>
 *   <li>Arrivals: a Poisson process per tenant; a quarter of the jobs are enterprise, 35 % pro, 40 % free; the
 *       total rate offers 95 % of the pool's GPU-hours (the third argument changes it). One arrival in twenty is a sweep of 10 to 30 jobs at
 *       once.</li>
 *   <li>GPUs per job: 1 (50 %), 2 (20 %), 4 (20 %), 8 (10 %), always on one node.</li>
 *   <li>Runtime: log-normal, median 1 h, sigma 1.0 (mean 1.65 h), clipped to 5 min .. 48 h. The scheduler sees
 *       an estimate off by a log-normal factor (sigma 0.3), as preflight estimates are.</li>
 * </ul>
 * Fairness: Jain's index (sum x)^2 / (n sum x^2) over each tenant's mean bounded slowdown, x = (wait + run) /
 * max(run, 10 min); 1.0 means every tenant of the tier waits alike relative to the length of its jobs.
 *
 * <pre>
 * mvn -q -B -DskipTests -pl benchmarks -am package
 * java -cp "benchmarks/target/benchmarks.jar:$(cat benchmarks/target/classpath.txt)" \
 *     dev.koder.training.benchmarks.TraceSimulation [days] [seed] [load]
 * </pre>
 */
public final class TraceSimulation {

    static final Instant T0 = Instant.parse("2026-11-02T00:00:00Z");
    static final String POOL = "16 nodes of 8 x H100";
    static final int NODES = 16;

    record TenantPlan(String name, Tier tier, double weight) {
    }

    static final List<TenantPlan> TENANTS = List.of(
            new TenantPlan("ent-a", Tier.ENTERPRISE, 0.25 * 3 / 4), new TenantPlan("ent-b", Tier.ENTERPRISE, 0.25 / 4),
            new TenantPlan("pro-a", Tier.PRO, 0.35 * 3 / 5), new TenantPlan("pro-b", Tier.PRO, 0.35 / 5),
            new TenantPlan("pro-c", Tier.PRO, 0.35 / 5),
            new TenantPlan("free-a", Tier.FREE, 0.40 * 3 / 6), new TenantPlan("free-b", Tier.FREE, 0.40 / 6),
            new TenantPlan("free-c", Tier.FREE, 0.40 / 6), new TenantPlan("free-d", Tier.FREE, 0.40 / 6));

    private TraceSimulation() {
    }

    /**
     * @param args optional number of days (default 30), seed (default 7) and offered load (default 0.95)
     */
    public static void main(String[] args) {
        int days = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        long seed = args.length > 1 ? Long.parseLong(args[1]) : 7;
        double load = args.length > 2 ? Double.parseDouble(args[2]) : 0.95;
        Duration horizon = Duration.ofDays(days);
        List<Simulator.Job> trace = trace(days, seed, load);
        double offered = trace.stream().mapToDouble(j -> j.gpus() * j.runtime().toSeconds() / 3600.0).sum();
        System.out.printf(Locale.ROOT, "trace: %d days, %,d jobs from %d tenants, %s, %,.0f GPU-h offered "
                + "(%.0f %% of the pool), seed %d%n%n", days, trace.size(), TENANTS.size(), POOL, offered,
                100 * offered / (NODES * 8 * horizon.toHours()), seed);
        Map<String, Supplier<JobScheduler>> schedulers = new LinkedHashMap<>();
        schedulers.put("tiers (FIFO per tier, tenant round-robin, backfill, promotion after 12 h pro / 24 h free)",
                () -> new TierScheduler(TierScheduler.Config.defaults()));
        schedulers.put("tiers without promotion (strict priority)", () -> new TierScheduler(new TierScheduler.Config(
                Map.of(), Map.of(), Integer.MAX_VALUE, 100, false)));
        schedulers.put("one global FIFO (no tiers, no backfill)", GlobalFifoScheduler::new);
        for (Map.Entry<String, Supplier<JobScheduler>> e : schedulers.entrySet()) {
            long t0 = System.nanoTime();
            Simulator sim = new Simulator(e.getValue().get(), pool(), 1);
            List<Simulator.Outcome> outcomes = sim.run(trace, T0.plus(horizon));
            double seconds = (System.nanoTime() - t0) / 1e9;
            report(e.getKey(), outcomes, sim.utilisation(horizon), T0.plus(horizon), seconds);
        }
    }

    static List<GpuNode> pool() {
        StringBuilder b = new StringBuilder();
        for (int n = 0; n < NODES; n++) {
            b.append(n == 0 ? "" : ";").append("node-").append(n).append("=8xNVIDIA H100 80GB HBM3@80");
        }
        return StaticGpuInventory.parse(b.toString()).nodes();
    }

    static List<Simulator.Job> trace(int days, long seed, double load) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double meanGpus = 0.5 * 1 + 0.2 * 2 + 0.2 * 4 + 0.1 * 8;
        double meanHours = Math.exp(0.5);
        double meanSweep = 0.95 + 0.05 * 20;
        double jobsPerHour = load * NODES * 8 / (meanGpus * meanHours);
        double arrivalsPerHour = jobsPerHour / meanSweep;
        List<Simulator.Job> jobs = new ArrayList<>();
        int id = 0;
        for (TenantPlan t : TENANTS) {
            double rate = arrivalsPerHour * t.weight();
            double hours = 0;
            while (true) {
                hours += -Math.log(1 - rnd.nextDouble()) / rate;
                if (hours >= days * 24.0) {
                    break;
                }
                Instant at = T0.plusMillis((long) (hours * 3_600_000));
                int count = rnd.nextDouble() < 0.05 ? 10 + rnd.nextInt(21) : 1;
                for (int k = 0; k < count; k++) {
                    double g = rnd.nextDouble();
                    int gpus = g < 0.5 ? 1 : g < 0.7 ? 2 : g < 0.9 ? 4 : 8;
                    double runHours = Math.min(48, Math.max(5 / 60.0, Math.exp(gaussian(rnd))));
                    Duration runtime = Duration.ofSeconds(Math.round(runHours * 3600));
                    Duration estimate = Duration.ofSeconds(Math.max(60, Math.round(runHours * 3600
                            * Math.exp(0.3 * gaussian(rnd)))));
                    jobs.add(new Simulator.Job("j" + id++, t.name(), t.tier(), at, gpus, runtime, estimate));
                }
            }
        }
        jobs.sort(Comparator.comparing(Simulator.Job::arrival).thenComparing(Simulator.Job::id));
        return jobs;
    }

    static double gaussian(SplittableRandom rnd) {
        double u = 1 - rnd.nextDouble();
        double v = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    static void report(String name, List<Simulator.Outcome> outcomes, double utilisation, Instant horizon,
            double seconds) {
        System.out.printf(Locale.ROOT, "%s%n  utilisation %.1f %%; simulated in %.1f s%n", name, 100 * utilisation,
                seconds);
        System.out.printf(Locale.ROOT, "  %-10s %7s %9s %9s %9s %9s %9s %8s%n", "tier", "jobs", "unstarted",
                "wait p50", "p95", "p99", "max", "Jain");
        for (Tier tier : List.of(Tier.ENTERPRISE, Tier.PRO, Tier.FREE)) {
            List<Simulator.Outcome> in = outcomes.stream().filter(o -> o.job().tier() == tier).toList();
            double[] waits = in.stream().mapToDouble(o -> o.waited(horizon).toSeconds() / 3600.0).sorted().toArray();
            long unstarted = in.stream().filter(o -> o.start() == null).count();
            Map<String, double[]> slowdown = new LinkedHashMap<>();
            for (Simulator.Outcome o : in) {
                double run = o.job().runtime().toSeconds();
                double s = (o.waited(horizon).toSeconds() + run) / Math.max(run, 600);
                slowdown.computeIfAbsent(o.job().tenant(), k -> new double[2]);
                slowdown.get(o.job().tenant())[0] += s;
                slowdown.get(o.job().tenant())[1]++;
            }
            double sum = 0;
            double squares = 0;
            for (double[] v : slowdown.values()) {
                double mean = v[0] / v[1];
                sum += mean;
                squares += mean * mean;
            }
            double jain = squares == 0 ? 1 : sum * sum / (slowdown.size() * squares);
            System.out.printf(Locale.ROOT, "  %-10s %,7d %9d %8.2fh %8.2fh %8.2fh %8.2fh %8.3f%n", tier.wireName(),
                    in.size(), unstarted, pct(waits, 50), pct(waits, 95), pct(waits, 99),
                    waits.length == 0 ? 0 : waits[waits.length - 1], jain);
        }
        System.out.println();
    }

    static double pct(double[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int i = (int) Math.ceil(p / 100 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }
}
