package dev.koder.training.benchmarks;

import dev.koder.training.api.EventLevel;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobStatus;
import dev.koder.training.postgres.PostgresJobStore;
import dev.koder.training.postgres.PostgresSettings;
import dev.koder.training.spi.JobStore;
import dev.koder.training.spi.JobUpdate;
import dev.koder.training.spi.NewEvent;
import dev.koder.training.sqlite.SqliteJobStore;
import dev.koder.training.tck.Samples;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The job store's two hot writes, on the embedded SQLite file and on PostgreSQL: a submission (a job and its first
 * two events, one transaction) and an append of a trainer's progress (ten events on a running job, one
 * transaction, the job's row locked). Both durable as shipped: SQLite with synchronous=FULL, PostgreSQL with fsync
 * on. PostgreSQL is reached at {@code -Dbench.postgres.url=jdbc:postgresql://127.0.0.1:PORT/DB} with
 * {@code -Dbench.postgres.user} and {@code -Dbench.postgres.password}; each trial works in a fresh schema.
 *
 * <pre>
 * java -Dbench.postgres.url=... -cp "benchmarks/target/benchmarks.jar:$(cat benchmarks/target/classpath.txt)" \
 *     org.openjdk.jmh.Main StoreThroughput -t 1   (and -t 8)
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
public class StoreThroughput {

    /** Which store. */
    @Param({"sqlite", "postgres"})
    public String store;

    /** Running jobs the appends spread over. */
    private static final int RUNNING = 64;

    private Path dir;
    private JobStore jobs;
    private final AtomicLong submitted = new AtomicLong();
    private final List<String> running = new ArrayList<>();

    @Setup(Level.Trial)
    public void open() throws Exception {
        dir = Files.createTempDirectory("store-bench");
        if (store.equals("sqlite")) {
            jobs = SqliteJobStore.open(dir.resolve("training.db"), Clock.systemUTC());
        } else {
            String url = System.getProperty("bench.postgres.url");
            if (url == null) {
                throw new IllegalStateException("-Dbench.postgres.url=jdbc:postgresql://HOST:PORT/DB is needed for "
                        + "store=postgres");
            }
            String schema = "bench_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
            jobs = PostgresJobStore.open(new PostgresSettings(url, System.getProperty("bench.postgres.user"),
                    System.getProperty("bench.postgres.password"), schema, 16), Clock.systemUTC());
        }
        Instant t0 = Instant.parse("2026-12-01T00:00:00Z");
        for (int i = 0; i < RUNNING; i++) {
            String id = "ftjob-running-" + i;
            jobs.insert(Samples.queued(id, "acme", t0), List.of(Samples.note("queued")));
            running.add(id);
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        jobs.close();
    }

    /** @return the stored events: a submission */
    @Benchmark
    public List<JobEvent> submit() {
        String id = "ftjob-" + Long.toString(submitted.incrementAndGet(), 36) + "-" + Thread.currentThread().getId();
        return jobs.insert(Samples.queued(id, "acme", Instant.now()), List.of(Samples.note("validating"),
                Samples.note("queued")));
    }

    /** @return the stored events: ten progress events on one of the running jobs */
    @Benchmark
    public Object appendTenEvents() {
        String id = running.get(ThreadLocalRandom.current().nextInt(RUNNING));
        List<NewEvent> events = new ArrayList<>(10);
        Instant now = Instant.now();
        for (int i = 0; i < 10; i++) {
            events.add(new NewEvent(now, EventLevel.INFO, JobEvent.TYPE_PROGRESS, "step", Map.of("step", i,
                    "loss", 2.5 - i / 10.0, "learning_rate", 2e-4, "tokens_per_second", 1234.5)));
        }
        return jobs.update(id, JobStatus.QUEUED, JobUpdate.builder().build(), events);
    }
}
