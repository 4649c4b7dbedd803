package dev.koder.training.python;

import dev.koder.training.api.FailureCause;
import dev.koder.training.api.JobFailure;
import dev.koder.training.api.TrainerFailedException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Virtualenvs the SDK creates and owns: one per {@link Requirements} set, in a per-user cache keyed by the
 * requirements' hash, so every home and every test on a machine reuse it. Creation is done once, under a
 * file lock (two JVMs creating the same environment at once end with one good environment), with pip's
 * progress passed on, imports verified, and a {@code .ready} marker written last: a folder without it is
 * an interrupted attempt and is made again.
 */
public final class ManagedEnvironments {

    private static final Logger LOG = LoggerFactory.getLogger(ManagedEnvironments.class);
    private static final Map<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();
    static final String READY = ".ready";

    private ManagedEnvironments() {
    }

    /**
     * @param configured the {@code training.python.cache} property, if set
     * @return where managed environments live: the property, else {@code $XDG_CACHE_HOME/koder-training/python},
     *     else {@code ~/.cache/koder-training/python}
     */
    public static Path cacheRoot(String configured) {
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("koder-training").resolve("python");
    }

    /** @return the folder the environment for these requirements lives in */
    public static Path folder(Path cacheRoot, Requirements requirements) {
        return cacheRoot.resolve(requirements.name() + "-" + requirements.hash().substring(0, 16));
    }

    /** @return the environment if it was already made, without making it */
    public static java.util.Optional<PythonEnvironment> existing(Path cacheRoot, Requirements requirements) {
        Path dir = folder(cacheRoot, requirements);
        if (!Files.isRegularFile(dir.resolve(READY))) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(load(dir));
    }

    /**
     * Returns the environment, creating it first if needed.
     *
     * @param cacheRoot where environments live
     * @param requirements what it must hold
     * @param basePython the interpreter that creates it (python3 3.10 or newer)
     * @param pipArgs extra pip install arguments (an index URL...)
     * @param progress one-line notes while it is being made
     * @return the ready environment
     * @throws TrainerFailedException with cause missing_dependency when it cannot be made
     */
    public static PythonEnvironment ensure(Path cacheRoot, Requirements requirements, String basePython,
            List<String> pipArgs, Consumer<String> progress) {
        Path dir = folder(cacheRoot, requirements);
        if (Files.isRegularFile(dir.resolve(READY))) {
            return load(dir);
        }
        ReentrantLock jvmLock = JVM_LOCKS.computeIfAbsent(dir, d -> new ReentrantLock());
        jvmLock.lock();
        try {
            Files.createDirectories(cacheRoot);
            try (FileChannel channel = FileChannel.open(cacheRoot.resolve(dir.getFileName() + ".lock"),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                FileLock lock = channel.tryLock();
                if (lock == null) {
                    progress.accept("waiting for another process that is creating the Python environment " + dir);
                    lock = channel.lock();
                }
                try {
                    if (Files.isRegularFile(dir.resolve(READY))) {
                        return load(dir);
                    }
                    return create(dir, requirements, basePython, pipArgs, progress);
                } finally {
                    lock.release();
                }
            }
        } catch (IOException e) {
            throw failure("could not create the Python environment in " + dir + ": " + e.getMessage());
        } finally {
            jvmLock.unlock();
        }
    }

    private static PythonEnvironment load(Path dir) {
        try {
            PythonProbe probe = PythonEnvironment.JSON.readValue(Files.readString(dir.resolve(READY)),
                    PythonProbe.class);
            return new PythonEnvironment(dir.resolve("bin/python"), true, probe);
        } catch (IOException | RuntimeException e) {
            throw failure("the Python environment " + dir + " is damaged (" + e.getMessage() + "); delete the "
                    + "folder and it is made again");
        }
    }

    private static PythonEnvironment create(Path dir, Requirements requirements, String basePython,
            List<String> pipArgs, Consumer<String> progress) throws IOException {
        if (Files.exists(dir)) {
            progress.accept("removing an unfinished Python environment " + dir);
            deleteTree(dir);
        }
        long started = System.nanoTime();
        progress.accept("creating the Python environment " + dir + " with " + basePython);
        Processes.Result venv = Processes.run(List.of(basePython, "-m", "venv", dir.toString()), Map.of(), null,
                Duration.ofMinutes(5), line -> { });
        if (venv.code() != 0) {
            deleteTree(dir);
            throw failure("'" + basePython + " -m venv' failed: " + String.join(" / ", venv.tail())
                    + ". Install Python 3.10 or newer with its venv module (Debian: apt-get install python3-venv), "
                    + "or name an interpreter with the property training.python.base");
        }
        Path python = dir.resolve("bin/python");
        Path requirementsFile = dir.resolve("requirements.txt");
        Files.writeString(requirementsFile, requirements.text());
        List<String> pip = new ArrayList<>(List.of(python.toString(), "-m", "pip", "install",
                "--disable-pip-version-check", "--no-input", "--progress-bar", "off", "--no-compile", "-r",
                requirementsFile.toString()));
        pip.addAll(pipArgs);
        Path log = dir.resolve("install.log");
        StringBuilder logText = new StringBuilder();
        progress.accept("installing " + String.join(", ", requirements.lines()) + " (pip; the first time takes a "
                + "minute or more)");
        Processes.Result install = Processes.run(pip, Map.of("PIP_RETRIES", System.getenv().getOrDefault(
                "PIP_RETRIES", "0")), null, Duration.ofMinutes(60), line -> {
                    logText.append(line).append('\n');
                    String shown = pipProgress(line);
                    if (shown != null) {
                        progress.accept(shown);
                    }
                });
        Files.writeString(log, logText.toString());
        if (install.code() != 0) {
            String tail = String.join("\n", install.tail());
            Path kept = dir.resolveSibling(dir.getFileName() + ".failed-install.log");
            Files.copy(log, kept, StandardCopyOption.REPLACE_EXISTING);
            deleteTree(dir);
            throw new TrainerFailedException(new JobFailure(FailureCause.MISSING_DEPENDENCY,
                    "pip could not install the trainer's packages (" + String.join(", ", requirements.lines())
                            + "); pip's log: " + kept, install.tail().isEmpty() ? List.of() : List.of(tail.split("\n"))));
        }
        compile(python, dir, progress);
        String imports = String.join(", ", requirements.packages().values());
        Processes.Result check = Processes.run(List.of(python.toString(), "-c", "import " + imports), Map.of(), null,
                Duration.ofMinutes(5), line -> { });
        if (check.code() != 0) {
            deleteTree(dir);
            throw failure("the packages installed but do not import (" + String.join(" / ", check.tail()) + ")");
        }
        PythonEnvironment env = new PythonEnvironment(python, true, null);
        PythonProbe probe = env.probe(requirements.packages().keySet());
        Path ready = dir.resolve(READY + ".tmp");
        Files.writeString(ready, PythonEnvironment.JSON.writeValueAsString(probe));
        Files.move(ready, dir.resolve(READY), StandardCopyOption.ATOMIC_MOVE);
        long seconds = Duration.ofNanos(System.nanoTime() - started).toSeconds();
        progress.accept(String.format(Locale.ROOT, "Python environment ready in %d s: Python %s, %s", seconds,
                probe.python(), describe(probe, requirements)));
        LOG.info("created Python environment {} in {} s", dir, seconds);
        return new PythonEnvironment(python, true, probe);
    }

    /**
     * Byte-compiles the installed packages on every core. pip compiles one file after another, which is most of
     * an install from a local mirror; the trainer must not compile them on each start instead, because a
     * process that runs with PYTHONDONTWRITEBYTECODE set (as many CI images do) keeps nothing it compiled.
     * Files that do not compile (pip skips those too) are only logged.
     */
    private static void compile(Path python, Path dir, Consumer<String> progress) throws IOException {
        progress.accept("byte-compiling the packages");
        Processes.Result compiled = Processes.run(List.of(python.toString(), "-m", "compileall", "-q", "-j", "0",
                dir.resolve("lib").toString()), Map.of(), null, Duration.ofMinutes(30), line -> { });
        if (compiled.code() != 0) {
            LOG.debug("compileall in {} left some files uncompiled: {}", dir, String.join(" / ", compiled.tail()));
        }
    }

    static String describe(PythonProbe probe, Requirements requirements) {
        List<String> parts = new ArrayList<>();
        for (String dist : requirements.packages().keySet()) {
            parts.add(dist + " " + probe.version(dist).orElse("(missing)"));
        }
        return String.join(", ", parts);
    }

    /** The pip lines worth showing: what it fetches and what it installed. */
    static String pipProgress(String line) {
        String l = line.trim();
        if (l.startsWith("Collecting ") || l.startsWith("Installing collected packages")
                || l.startsWith("Successfully installed")) {
            return "pip: " + (l.length() > 160 ? l.substring(0, 157) + "..." : l);
        }
        return null;
    }

    private static TrainerFailedException failure(String message) {
        return new TrainerFailedException(JobFailure.of(FailureCause.MISSING_DEPENDENCY, message));
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
