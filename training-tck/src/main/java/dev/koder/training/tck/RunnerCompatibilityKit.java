package dev.koder.training.tck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.DpoConfig;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.Objective;
import dev.koder.training.api.TrainingMethod;
import dev.koder.training.api.Violation;
import dev.koder.training.spi.LaunchPlan;
import dev.koder.training.spi.MethodKind;
import dev.koder.training.spi.RunContext;
import dev.koder.training.spi.TrainingRunner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every {@link TrainingRunner} must do: describe itself, check without side effects, prepare a launch
 * that writes only inside the job's folder and never pastes user strings into a command line or code, and
 * (where the trainer runs on this machine) produce the events protocol. Extend it and implement the two
 * factory methods.
 */
public abstract class RunnerCompatibilityKit {

    /** A string a user might put in a spec that must never end up in a command line or program text. */
    public static final String HOSTILE = "x'; rm -rf / #\"$(touch /tmp/pwned) {{ 7*7 }} \\n";

    /** A scratch folder for the test. */
    @TempDir
    protected Path dir;

    /** The runner under test. */
    protected TrainingRunner runner;

    /** @return a new runner */
    protected abstract TrainingRunner newRunner();

    /**
     * @param dir a folder to put the model and data in
     * @param method one of the runner's methods
     * @return a valid spec the runner can run with that method (local model folder and data in dir)
     */
    protected abstract JobSpec spec(Path dir, TrainingMethod method);

    /** @return whether the trainer can really run on this machine in a test (a few seconds on a CPU) */
    protected boolean supportsLocalRun() {
        return false;
    }

    /**
     * @return the methods this machine can prepare (a CPU-only host cannot prepare QLoRA, say); default every
     *     method the runner claims
     */
    protected Set<MethodKind> methodsRunnableHere() {
        return runner.capabilities().methods();
    }

    /** @return the method of the local run; default the first runnable one, SFT before DPO, LoRA first */
    protected MethodKind localRunMethod() {
        return methodsRunnableHere().stream().sorted(java.util.Comparator.comparing((MethodKind k) -> k.objective())
                .thenComparing(k -> k.adapter() != dev.koder.training.api.AdapterType.LORA)
                .thenComparing(MethodKind::adapter)).findFirst().orElseThrow();
    }

    /** @return the longest a local run may take */
    protected Duration localRunTimeout() {
        return Duration.ofMinutes(5);
    }

    @BeforeEach
    void create(TestReporter reporter) {
        runner = newRunner();
        reporter.publishEntry("implementation", runner.getClass().getName() + " (runner " + runner.name() + ")");
    }

    static TrainingMethod methodOf(MethodKind kind) {
        return new TrainingMethod(kind.objective(), kind.adapter(), null, null,
                kind.objective() == Objective.DPO ? new DpoConfig(null, null) : null);
    }

    RunContext context(Path workdir, Optional<Path> resume) throws IOException {
        Files.createDirectories(workdir.resolve("output"));
        Files.createDirectories(workdir.resolve("logs"));
        return new RunContext("ftjob-kit", 1, workdir, workdir.resolve("events.jsonl"), workdir.resolve("output"),
                workdir.resolve("logs/attempt-1.stdout.log"), workdir.resolve("logs/attempt-1.stderr.log"), resume,
                List.of(), message -> { });
    }

    static Set<Path> tree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.collect(Collectors.toSet());
        }
    }

    /** Describing itself. */
    @Nested
    class Describing {
        @Test
        void nameAndCapabilities_arePresentAndUsable() {
            assertThat(runner.name()).matches("[a-z][a-z0-9-]{0,31}");
            assertThat(runner.capabilities().methods()).isNotEmpty();
            assertThat(runner.capabilities().formats()).isNotEmpty();
        }

        @Test
        void check_ofARunnableSpec_isEmpty_andPointsIntoTheSpecOtherwise() {
            for (MethodKind kind : runner.capabilities().methods()) {
                JobSpec spec = spec(dir.resolve(kind.toString().replace('+', '-')), methodOf(kind));
                List<Violation> problems = runner.check(spec);
                assertThat(problems).allSatisfy(v -> assertThat(v.pointer()).startsWith("/"));
                if (methodsRunnableHere().contains(kind)) {
                    assertThat(problems).as(kind.toString()).isEmpty();
                }
            }
        }
    }

    /** Preparing a launch. */
    @Nested
    class Preparing {
        @Test
        void prepare_writesOnlyInsideTheWorkdir_andUsesTheContextsLogFiles() throws IOException {
            for (MethodKind kind : methodsRunnableHere()) {
                Path base = dir.resolve(kind.toString().replace('+', '-'));
                JobSpec spec = spec(base, methodOf(kind));
                Path workdir = dir.resolve("jobs").resolve(kind.toString().replace('+', '-'));
                RunContext ctx = context(workdir, Optional.empty());
                Set<Path> before = tree(dir);
                LaunchPlan plan = runner.prepare(spec, ctx);
                Set<Path> created = tree(dir);
                created.removeAll(before);
                assertThat(created).allSatisfy(p -> assertThat(p).startsWith(workdir));
                assertThat(plan.command()).isNotEmpty();
                assertThat(plan.workdir()).isEqualTo(workdir);
                assertThat(plan.stdout()).isEqualTo(ctx.stdout());
                assertThat(plan.stderr()).isEqualTo(ctx.stderr());
            }
        }

        @Test
        void userStrings_neverReachTheCommandLineOrProgramText_onlyDataFiles() throws IOException {
            MethodKind kind = localRunMethod();
            JobSpec spec = spec(dir.resolve("hostile"), methodOf(kind)).toBuilder().metadata("note", HOSTILE).build();
            Path workdir = dir.resolve("jobs/hostile");
            LaunchPlan plan = runner.prepare(spec, context(workdir, Optional.empty()));
            for (String arg : plan.command()) {
                assertThat(arg).doesNotContain("rm -rf").doesNotContain("$(touch");
            }
            for (String value : plan.env().values()) {
                assertThat(value).doesNotContain("rm -rf");
            }
            for (Path p : tree(workdir)) {
                if (Files.isRegularFile(p)) {
                    String text = Files.readString(p, StandardCharsets.ISO_8859_1);
                    if (text.contains("rm -rf")) {
                        assertThat(p.getFileName().toString()).as("only JSON data files may hold user strings")
                                .endsWith(".json");
                    }
                }
            }
        }
    }

    /** Running for real, where the trainer runs on this machine. */
    @Nested
    class Running {
        @Test
        void theLaunchedTrainer_speaksTheEventsProtocol_andWritesItsOutput() throws Exception {
            Assumptions.assumeTrue(supportsLocalRun(), RunnerCompatibilityKit.this.getClass().getSimpleName()
                    + ": the runner does not run a job locally here (supportsLocalRun() is false)");
            MethodKind kind = localRunMethod();
            JobSpec spec = spec(dir.resolve("run"), methodOf(kind));
            Path workdir = dir.resolve("jobs/run");
            RunContext ctx = context(workdir, Optional.empty());
            LaunchPlan plan = runner.prepare(spec, ctx);
            ProcessBuilder pb = new ProcessBuilder(plan.command()).directory(plan.workdir().toFile())
                    .redirectOutput(plan.stdout().toFile()).redirectError(plan.stderr().toFile());
            pb.environment().putAll(plan.env());
            Process p = pb.start();
            if (!p.waitFor(localRunTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("the trainer ran past " + localRunTimeout());
            }
            assertThat(p.exitValue()).as("exit code; stderr: %s", Files.readString(plan.stderr())).isZero();
            List<String> lines = Files.readAllLines(ctx.eventsFile()).stream().map(l -> l.replace(" ", ""))
                    .filter(l -> !l.isEmpty()).collect(Collectors.toList());
            assertThat(lines).isNotEmpty().allSatisfy(l -> assertThat(l).startsWith("{").endsWith("}").contains("\"v\":1"));
            assertThat(lines.get(0)).contains("\"type\":\"started\"");
            assertThat(lines).anySatisfy(l -> assertThat(l).contains("\"type\":\"progress\""));
            assertThat(lines.get(lines.size() - 1)).contains("\"type\":\"completed\"");
        }
    }
}
