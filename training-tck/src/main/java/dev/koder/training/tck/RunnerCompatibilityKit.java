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
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestReporter;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * What every {@link TrainingRunner} must do: describe itself, check without side effects, prepare a launch
 * that writes only inside the job's folder and never pastes user strings into a command line or code, and
 * (where the trainer runs on this machine) produce the events protocol, and, where it claims resume, save a
 * checkpoint when it is asked to stop and continue the step count from it. Extend it and implement the two factory
 * methods.
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

    /**
     * @param dir where the spec's files may go
     * @return a valid spec of {@link #localRunMethod()} whose run lasts long enough to be stopped after its first
     *     progress event, with a checkpoint policy the runner can resume from; default {@link #spec}
     */
    protected JobSpec longSpec(Path dir) {
        return spec(dir, methodOf(localRunMethod()));
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

    Process launch(LaunchPlan plan) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(plan.command()).directory(plan.workdir().toFile())
                .redirectOutput(ProcessBuilder.Redirect.appendTo(plan.stdout().toFile()))
                .redirectError(ProcessBuilder.Redirect.appendTo(plan.stderr().toFile()));
        pb.environment().putAll(plan.env());
        return pb.start();
    }

    void awaitExit(Process p, LaunchPlan plan) throws Exception {
        if (!p.waitFor(localRunTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the trainer ran past " + localRunTimeout() + "; stderr: "
                    + Files.readString(plan.stderr()));
        }
    }

    private static final JsonMapper EVENTS = JsonMapper.builder().build();
    private static final TypeReference<Map<String, Object>> EVENT = new TypeReference<>() { };

    static List<Map<String, Object>> events(Path file, int from) throws IOException {
        if (!Files.exists(file)) {
            return List.of();
        }
        List<String> lines = Files.readAllLines(file);
        return lines.subList(Math.min(from, lines.size()), lines.size()).stream().filter(l -> !l.isBlank())
                .map(l -> EVENTS.readValue(l, EVENT)).collect(Collectors.toList());
    }

    static long step(Map<String, Object> event) {
        return ((Number) event.get("step")).longValue();
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
            Process p = launch(plan);
            awaitExit(p, plan);
            assertThat(p.exitValue()).as("exit code; stderr: %s", Files.readString(plan.stderr())).isZero();
            List<String> lines = Files.readAllLines(ctx.eventsFile()).stream().map(l -> l.replace(" ", ""))
                    .filter(l -> !l.isEmpty()).collect(Collectors.toList());
            assertThat(lines).isNotEmpty().allSatisfy(l -> assertThat(l).startsWith("{").endsWith("}").contains("\"v\":1"));
            assertThat(lines.get(0)).contains("\"type\":\"started\"");
            assertThat(lines).anySatisfy(l -> assertThat(l).contains("\"type\":\"progress\""));
            assertThat(lines.get(lines.size() - 1)).contains("\"type\":\"completed\"");
        }

        /** Only for a runner that runs here and claims resume: there is nothing to check for the others. */
        @TestFactory
        Stream<DynamicTest> stoppedWithSigterm_itSavesACheckpoint_andResumedFromIt_itContinuesTheStepCount() {
            if (!supportsLocalRun() || !runner.capabilities().resume()) {
                return Stream.empty();
            }
            return Stream.of(DynamicTest.dynamicTest("stop, then resume", this::stopThenResume));
        }

        private void stopThenResume() throws Exception {
            JobSpec spec = longSpec(dir.resolve("long"));
            Path workdir = dir.resolve("jobs/long");
            RunContext first = context(workdir, Optional.empty());
            LaunchPlan plan = runner.prepare(spec, first);
            Process p = launch(plan);
            long deadline = System.nanoTime() + localRunTimeout().toNanos();
            while (p.isAlive() && events(first.eventsFile(), 0).stream().noneMatch(e -> "progress".equals(
                    e.get("type")))) {
                assertThat(System.nanoTime()).as("a progress event within %s", localRunTimeout()).isLessThan(deadline);
                Thread.sleep(20);
            }
            assertThat(p.isAlive()).as("the trainer still runs after its first progress event (make longSpec "
                    + "longer); stderr: %s", Files.readString(plan.stderr())).isTrue();
            p.destroy(); // SIGTERM, as a cancel sends
            awaitExit(p, plan);
            List<Map<String, Object>> stopped = events(first.eventsFile(), 0);
            assertThat(stopped).as("a stopped trainer writes a checkpoint event and no completed event")
                    .anyMatch(e -> "checkpoint".equals(e.get("type")))
                    .noneMatch(e -> "completed".equals(e.get("type")));
            Map<String, Object> checkpoint = stopped.stream().filter(e -> "checkpoint".equals(e.get("type")))
                    .reduce((a, b) -> b).orElseThrow();
            Path saved = workdir.resolve(String.valueOf(checkpoint.get("path")));
            assertThat(saved).as("the checkpoint the event names").isDirectory();

            int seen = Files.readAllLines(first.eventsFile()).size();
            LaunchPlan again = runner.prepare(spec, context(workdir, Optional.of(saved)));
            Process q = launch(again);
            awaitExit(q, again);
            assertThat(q.exitValue()).as("the resumed trainer's exit code; stderr: %s",
                    Files.readString(again.stderr())).isZero();
            List<Map<String, Object>> resumed = events(first.eventsFile(), seen);
            assertThat(resumed.get(0).get("type")).isEqualTo("started");
            List<Long> steps = resumed.stream().filter(e -> "progress".equals(e.get("type")))
                    .map(RunnerCompatibilityKit::step).toList();
            assertThat(steps).as("the resumed run's progress steps").isNotEmpty()
                    .allSatisfy(s -> assertThat(s).isGreaterThan(step(checkpoint)));
            assertThat(resumed.get(resumed.size() - 1).get("type")).isEqualTo("completed");
        }
    }
}
