package dev.koder.training.python;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.koder.training.api.FailureCause;
import dev.koder.training.api.TrainerFailedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real virtualenvs with a small pinned package, made with the machine's python3 and pip. */
class ManagedEnvironmentsTest {

    static final String SMALL = "six==1.17.0\n";

    @TempDir
    Path cache;

    @Test
    void twoJvmsCreatingTheSameEnvironmentAtOnce_endWithOneGoodEnvironment() throws Exception {
        List<Process> makers = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            String java = ProcessHandle.current().info().command().orElse("java");
            ProcessBuilder maker = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                    EnvironmentMaker.class.getName(), cache.toString(), SMALL).redirectErrorStream(true);
            // As in CI images that forbid writing bytecode: the environment must come out compiled anyway.
            maker.environment().put("PYTHONDONTWRITEBYTECODE", "1");
            makers.add(maker.start());
        }
        List<String> outputs = new ArrayList<>();
        for (Process p : makers) {
            String out = new String(p.getInputStream().readAllBytes());
            assertThat(p.waitFor(10, TimeUnit.MINUTES)).isTrue();
            assertThat(p.exitValue()).as(out).isZero();
            outputs.add(out);
        }
        Path folder = ManagedEnvironments.folder(cache, Requirements.parse("test", SMALL));
        for (String out : outputs) {
            assertThat(out).contains("READY " + folder.resolve("bin/python"));
        }
        assertThat(outputs.stream().filter(o -> o.contains("progress: creating the Python environment")).count())
                .as("exactly one JVM created it").isEqualTo(1);
        assertThat(folder.resolve(ManagedEnvironments.READY)).exists();
        Process check = new ProcessBuilder(folder.resolve("bin/python").toString(), "-c", "import six").start();
        assertThat(check.waitFor()).isZero();
        try (Stream<Path> files = Files.walk(folder.resolve("lib"))) {
            // pip's own vendored copy of six is compiled already; the installed one must be too.
            assertThat(files.map(p -> folder.resolve("lib").relativize(p).toString()))
                    .as("six byte-compiled once, not on every trainer start")
                    .anySatisfy(name -> assertThat(name)
                            .matches("python3\\.\\d+/site-packages/__pycache__/six\\.cpython-\\d+\\.pyc"));
        }
        PythonEnvironment again = ManagedEnvironments.ensure(cache, Requirements.parse("test", SMALL), "python3",
                List.of(), line -> { throw new AssertionError("nothing to make: " + line); });
        assertThat(again.knownProbe()).get().satisfies(p -> assertThat(p.version("six")).contains("1.17.0"));
    }

    @Test
    void anInterruptedCreation_isMadeAgainFromScratch() throws Exception {
        Requirements req = Requirements.parse("test", SMALL);
        Path folder = ManagedEnvironments.folder(cache, req);
        Files.createDirectories(folder.resolve("bin"));
        Files.writeString(folder.resolve("bin/python"), "half-made");
        List<String> progress = new ArrayList<>();
        PythonEnvironment env = ManagedEnvironments.ensure(cache, req, "python3", List.of(), progress::add);
        assertThat(progress.get(0)).startsWith("removing an unfinished Python environment");
        assertThat(progress).anySatisfy(p -> assertThat(p).startsWith("pip: Successfully installed six-1.17.0"));
        assertThat(progress).contains("byte-compiling the packages");
        assertThat(progress.get(progress.size() - 1)).startsWith("Python environment ready in ");
        assertThat(new ProcessBuilder(env.python().toString(), "-c", "import six").start().waitFor()).isZero();
    }

    @Test
    void aPackageThatCannotBeInstalled_failsWithPipsWords_andLeavesNoHalfEnvironment() {
        Requirements req = Requirements.parse("test", "no-such-package-koder-training==1.0\n");
        assertThatThrownBy(() -> ManagedEnvironments.ensure(cache, req, "python3", List.of(), line -> { }))
                .isInstanceOfSatisfying(TrainerFailedException.class, e -> {
                    assertThat(e.failure().cause()).isEqualTo(FailureCause.MISSING_DEPENDENCY);
                    assertThat(e.failure().message()).startsWith("pip could not install the trainer's packages "
                            + "(no-such-package-koder-training==1.0)");
                    assertThat(e.failure().logTail()).anySatisfy(l -> assertThat(l).contains("no-such-package"));
                });
        assertThat(ManagedEnvironments.folder(cache, req)).doesNotExist();
        assertThat(ManagedEnvironments.existing(cache, req)).isEmpty();
    }
}
