package dev.koder.training.benchmarks;

import dev.koder.training.api.Tier;
import dev.koder.training.scheduler.StaticGpuInventory;
import dev.koder.training.scheduler.TierScheduler;
import dev.koder.training.spi.JobScheduler;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Scheduling decisions per second of the tier scheduler with a deep queue on a large pool. The pool is full and
 * the queue holds {@code queued} jobs; one decision is what the service does when a job ends: release its GPUs,
 * accept one new submission, and decide what starts (promotions, tier and tenant order, gang placement, the
 * head job's reservation, backfill).
 *
 * <pre>
 * mvn -q -B -DskipTests -pl benchmarks -am package
 * java -cp "benchmarks/target/benchmarks.jar:$(cat benchmarks/target/classpath.txt)" org.openjdk.jmh.Main \
 *     SchedulerThroughput
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class SchedulerThroughput {

    /** Jobs waiting. */
    @Param("100000")
    public int queued;

    /** GPUs in the pool, 8 per node. */
    @Param("1000")
    public int gpus;

    /** Tenants submitting. */
    @Param("100")
    public int tenants;

    /** How long the backlog took to arrive. */
    static final Duration BACKLOG = Duration.ofHours(24);
    /** Simulated time between decisions: ten job ends a second on a 1,000-GPU pool is a busy day. */
    static final Duration STEP = Duration.ofMillis(100);

    private TierScheduler scheduler;
    private SplittableRandom random;
    private final List<String> running = new ArrayList<>();
    private Instant now;
    private long next;
    private long started;

    @Setup(Level.Trial)
    public void fill() {
        StringBuilder pool = new StringBuilder();
        for (int n = 0; n < gpus / 8; n++) {
            pool.append(n == 0 ? "" : ";").append("node-").append(n).append("=8xNVIDIA H100 80GB HBM3@80");
        }
        scheduler = new TierScheduler(TierScheduler.Config.defaults());
        scheduler.pool(StaticGpuInventory.parse(pool.toString()).nodes(), 4);
        random = new SplittableRandom(42);
        now = Instant.parse("2026-11-02T00:00:00Z");
        // The backlog arrived over the last day, so promotions of long-waiting jobs go on during the run, as in a
        // steady state, rather than all at once.
        Instant start = now;
        for (int i = 0; i < queued; i++) {
            now = start.minus(BACKLOG).plusMillis(BACKLOG.toMillis() * i / queued);
            submit();
        }
        now = start;
        startAll(scheduler.schedule(now));
        while (countQueued() < queued) {
            submit();
        }
    }

    private int countQueued() {
        return (int) (next - started);
    }

    /** A job: tier 20/40/40 % enterprise/pro/free; 1, 2, 4 or 8 GPUs (55/20/15/10 %); 10 min to 10 h. */
    private void submit() {
        double t = random.nextDouble();
        Tier tier = t < 0.2 ? Tier.ENTERPRISE : t < 0.6 ? Tier.PRO : Tier.FREE;
        double g = random.nextDouble();
        int n = g < 0.55 ? 1 : g < 0.75 ? 2 : g < 0.9 ? 4 : 8;
        Duration runtime = Duration.ofMinutes(10 + random.nextInt(590));
        scheduler.enqueue(new JobScheduler.Request("job-" + next++, "tenant-" + random.nextInt(tenants), tier, now,
                n, null, 20 + random.nextInt(40), runtime));
    }

    private void startAll(JobScheduler.Decision d) {
        for (JobScheduler.Start s : d.starts()) {
            running.add(s.jobId());
            started++;
        }
    }

    /**
     * One decision after a job ends.
     *
     * @return the decision, so the JIT cannot drop it
     */
    @Benchmark
    public JobScheduler.Decision decide() {
        if (!running.isEmpty()) {
            int i = random.nextInt(running.size());
            String done = running.get(i);
            running.set(i, running.get(running.size() - 1));
            running.remove(running.size() - 1);
            scheduler.release(done);
        }
        submit();
        now = now.plus(STEP);
        JobScheduler.Decision d = scheduler.schedule(now);
        startAll(d);
        return d;
    }

    /** Prints the queue and pool after a run, so a reader can see the benchmark held what it claims. */
    @org.openjdk.jmh.annotations.TearDown(Level.Trial)
    public void report() {
        System.out.printf(java.util.Locale.ROOT, "%nqueued at the end: %,d; running: %,d jobs; decisions: %,d; "
                + "queued jobs looked at per decision: %.1f%n", countQueued(), running.size(), scheduler.decisions(),
                (double) scheduler.looked() / scheduler.decisions());
    }
}
