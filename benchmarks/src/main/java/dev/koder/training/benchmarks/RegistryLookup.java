package dev.koder.training.benchmarks;

import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.CheckpointFormat;
import dev.koder.training.api.CheckpointStage;
import dev.koder.training.core.blob.FilesystemBlobStore;
import dev.koder.training.core.registry.CheckpointRegistry;
import dev.koder.training.spi.Json;
import dev.koder.training.sqlite.SqliteCheckpoints;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * "The approved checkpoint for model X" among 100,000 registered checkpoints (1,000 base models with 100
 * checkpoints each; per model one approved, a third deprecated, the rest drafts), from the cache and from the
 * database.
 *
 * <pre>
 * java -cp "benchmarks/target/benchmarks.jar:$(cat benchmarks/target/classpath.txt)" org.openjdk.jmh.Main \
 *     RegistryLookup
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
public class RegistryLookup {

    /** Registered checkpoints. */
    @Param("100000")
    public int rows;

    /** Base models they are spread over. */
    @Param("1000")
    public int models;

    private Path dir;
    private CheckpointRegistry registry;
    private SplittableRandom random;

    @Setup(Level.Trial)
    public void fill() throws Exception {
        dir = Files.createTempDirectory("registry-bench");
        Path db = dir.resolve("training.db");
        SqliteCheckpoints.open(db).close();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement()) {
            s.execute("PRAGMA synchronous = OFF");
            c.setAutoCommit(false);
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO checkpoints (id, job_id, tenant, "
                    + "base_model, step, final, source, stage, created_at, approved_at, checkpoint_json) VALUES (?, ?, ?, "
                    + "?, ?, 0, ?, ?, ?, ?, ?)")) {
                Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
                int perModel = rows / models;
                for (int i = 0; i < rows; i++) {
                    int model = i % models;
                    int nth = i / models;
                    String id = String.format("ckpt-%010d", i);
                    String base = String.format("org/model-%04d", model);
                    CheckpointStage stage = nth == perModel / 2 ? CheckpointStage.APPROVED
                            : nth % 3 == 0 ? CheckpointStage.DEPRECATED : CheckpointStage.DRAFT;
                    Instant created = t0.plusSeconds(i);
                    Checkpoint ck = Checkpoint.builder().id(id).jobId("ftjob-" + i).tenant(tenant(model))
                            .baseModel(base).method("sft+lora").step(nth * 100L).metrics(Map.of("loss", 1.0 / (nth + 1)))
                            .format(CheckpointFormat.PEFT_ADAPTER)
                            .artifact(new Checkpoint.Artifact(224, 3_407_872, "LORA", 16, 32.0,
                                    List.of("q_proj", "v_proj")))
                            .files(List.of(new Checkpoint.File("adapter_model.safetensors", 3_408_000,
                                    "%064x".formatted(i))))
                            .lineage(new Checkpoint.Lineage("0".repeat(64), Map.of("/data/train.jsonl", "1".repeat(64)),
                                    null, null))
                            .stage(stage).createdAt(created).blobStore("/var/lib/training/blobs").build();
                    insert.setString(1, id);
                    insert.setString(2, "ftjob-" + i);
                    insert.setString(3, ck.tenant());
                    insert.setString(4, base);
                    insert.setLong(5, ck.step());
                    insert.setString(6, "/jobs/" + i + "/output/checkpoint-" + ck.step());
                    insert.setString(7, stage.wireName());
                    insert.setLong(8, created.toEpochMilli());
                    if (stage == CheckpointStage.APPROVED) {
                        insert.setLong(9, created.toEpochMilli());
                    } else {
                        insert.setNull(9, java.sql.Types.INTEGER);
                    }
                    insert.setString(10, Json.write(ck));
                    insert.addBatch();
                    if (i % 10_000 == 9_999) {
                        insert.executeBatch();
                    }
                }
                insert.executeBatch();
            }
            c.commit();
        }
        registry = new CheckpointRegistry(SqliteCheckpoints.open(db), new FilesystemBlobStore(dir.resolve("blobs")),
                Clock.systemUTC(), id -> Optional.empty(), Duration.ofHours(1));
        random = new SplittableRandom(7);
        for (int m = 0; m < models; m++) {
            if (registry.approved(tenant(m), model(m)).isEmpty()) {
                throw new IllegalStateException("no approved checkpoint for " + model(m));
            }
        }
    }

    private static String tenant(int m) {
        return "tenant-" + m % 50;
    }

    private static String model(int m) {
        return String.format("org/model-%04d", m);
    }

    /** @return the approved checkpoint of a random model, from the cache */
    @Benchmark
    public Optional<Checkpoint> cached() {
        int m = random.nextInt(models);
        return registry.approved(tenant(m), model(m));
    }

    /** @return the approved checkpoint of a random model, from the database */
    @Benchmark
    public Optional<Checkpoint> uncached() {
        int m = random.nextInt(models);
        return registry.approvedUncached(tenant(m), model(m));
    }

    @TearDown(Level.Trial)
    public void close() throws Exception {
        registry.close();
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
