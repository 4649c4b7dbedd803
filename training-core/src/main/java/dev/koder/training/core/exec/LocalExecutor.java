package dev.koder.training.core.exec;

import dev.koder.training.spi.Execution;
import dev.koder.training.spi.Executor;
import dev.koder.training.spi.LaunchPlan;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs trainers as local processes, each the leader of its own process group (through {@code setsid}), so
 * that a signal reaches the trainer and everything it started: data-loader workers, compile helpers, shells.
 * When a trainer exits, whatever it left running in its group is killed; when this executor closes (or the
 * JVM exits, if asked), every trainer it started is killed with its group.
 *
 * <p>Without {@code setsid} (not Linux) signals go to the trainer and the descendants the JDK can see.
 *
 * <p>A plan's launch token reaches the trainer's environment ({@value LaunchPlan#TOKEN_ENV}), and once the process
 * runs, a marker file in the job folder ({@code launches/<token>}) holds its reference: {@link #find} reads the
 * marker, or, when the service died before writing it, looks for a process with the token in its environment
 * ({@code /proc/<pid>/environ}).
 *
 * <p>With {@value #MEMORY_LIMIT_PROPERTY} set, each trainer runs in a memory cgroup of its own with that limit
 * ({@link MemoryCgroup}): a trainer that takes too much host memory is killed by the kernel inside its cgroup, not the
 * service or another job, the cgroup's counter tells the service that it was the out-of-memory killer, and the
 * trainer's peak memory is measured.
 */
public final class LocalExecutor implements Executor {

    private static final Logger LOG = LoggerFactory.getLogger(LocalExecutor.class);
    static final String REF_PREFIX = "local:";
    /** Home property: the host memory each trainer may use, in GiB (a decimal); unset, no limit. */
    public static final String MEMORY_LIMIT_PROPERTY = "training.local.memory-limit-gib";
    /** What a launch token may hold: it names a marker file. */
    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9._-]{1,100}");
    private static final Path SETSID = findProgram("setsid");
    private static final Path KILL = findProgram("kill");

    private final Set<LocalExecution> running = ConcurrentHashMap.newKeySet();
    private final Thread hook;
    /** Each trainer's memory limit in bytes, or -1 for none. */
    private final long memoryLimit;

    private LocalExecutor(boolean killOnJvmExit, long memoryLimit) {
        this.memoryLimit = memoryLimit;
        this.hook = killOnJvmExit ? new Thread(this::close, "local-executor-exit") : null;
        if (hook != null) {
            Runtime.getRuntime().addShutdownHook(hook);
        }
    }

    /**
     * @param killOnJvmExit whether to kill every running trainer when the JVM exits (the training service
     *     turns this off because it stops trainers more gently itself)
     * @return a new executor
     */
    public static LocalExecutor create(boolean killOnJvmExit) {
        return new LocalExecutor(killOnJvmExit, -1);
    }

    /**
     * @param killOnJvmExit whether to kill every running trainer when the JVM exits
     * @param memoryLimitBytes the host memory each trainer may use (it runs in a memory cgroup of its own), or -1
     * @return a new executor
     */
    public static LocalExecutor create(boolean killOnJvmExit, long memoryLimitBytes) {
        return new LocalExecutor(killOnJvmExit, memoryLimitBytes);
    }

    @Override
    public String name() {
        return "local";
    }

    /** @return whether trainers get their own process group on this host */
    public static boolean usesProcessGroups() {
        return SETSID != null && KILL != null;
    }

    @Override
    public Execution start(LaunchPlan plan) throws IOException {
        Files.createDirectories(plan.stdout().toAbsolutePath().getParent());
        Files.createDirectories(plan.stderr().toAbsolutePath().getParent());
        List<String> command = new ArrayList<>();
        if (usesProcessGroups()) {
            command.add(SETSID.toString());
        }
        MemoryCgroup cgroup = null;
        if (memoryLimit > 0) {
            cgroup = MemoryCgroup.create(plan.launchToken() != null ? plan.launchToken()
                    : "trainer-" + Long.toHexString(System.nanoTime()), memoryLimit);
            // the shell joins the cgroup, then becomes the trainer: the path and the command are arguments, not code
            command.addAll(List.of("/bin/sh", "-c", "echo $$ > \"$0\" && exec \"$@\"", cgroup.procs().toString()));
        }
        command.addAll(plan.command());
        ProcessBuilder pb = new ProcessBuilder(command).directory(plan.workdir().toFile())
                .redirectOutput(ProcessBuilder.Redirect.appendTo(plan.stdout().toFile()))
                .redirectError(ProcessBuilder.Redirect.appendTo(plan.stderr().toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().putAll(plan.env());
        Process process = pb.start();
        LocalExecution execution = new LocalExecution(process.toHandle(), process, usesProcessGroups(), cgroup,
                memoryLimit);
        track(execution);
        if (plan.launchToken() != null) {
            Path marker = marker(plan.workdir(), plan.launchToken());
            Files.createDirectories(marker.getParent());
            Path tmp = marker.resolveSibling(marker.getFileName() + ".tmp");
            Files.writeString(tmp, execution.ref());
            Files.move(tmp, marker, StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        }
        LOG.debug("started {} as pid {}", plan.command(), process.pid());
        return execution;
    }

    @Override
    public Optional<Execution> reattach(String ref) {
        if (ref == null || !ref.startsWith(REF_PREFIX)) {
            return Optional.empty();
        }
        String[] parts = ref.substring(REF_PREFIX.length()).split(":");
        if (parts.length != 2) {
            return Optional.empty();
        }
        long pid;
        long started;
        try {
            pid = Long.parseLong(parts[0]);
            started = Long.parseLong(parts[1]);
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                .filter(h -> h.info().startInstant().map(i -> Math.abs(i.toEpochMilli() - started) < 1000)
                        .orElse(false))
                .map(h -> {
                    LocalExecution e = new LocalExecution(h, null, usesProcessGroups());
                    track(e);
                    return e;
                });
    }

    @Override
    public Optional<Execution> find(String launchToken, Path workdir) throws IOException {
        if (launchToken == null || !TOKEN.matcher(launchToken).matches()) {
            return Optional.empty();
        }
        Path marker = marker(workdir, launchToken);
        if (Files.isRegularFile(marker)) {
            return reattach(Files.readString(marker).strip());
        }
        // started, but the service died before the marker was written: the token is in the trainer's environment
        String wanted = LaunchPlan.TOKEN_ENV + "=" + launchToken;
        List<ProcessHandle> carrying = ProcessHandle.allProcesses().filter(h -> h.isAlive()
                && environmentHolds(h.pid(), wanted)).toList();
        // the trainer, not one of its children (which inherit its environment)
        Set<Long> pids = carrying.stream().map(ProcessHandle::pid).collect(Collectors.toSet());
        return carrying.stream().filter(h -> h.parent().map(p -> !pids.contains(p.pid())).orElse(true))
                .findFirst().map(h -> {
                    LocalExecution e = new LocalExecution(h, null, usesProcessGroups());
                    track(e);
                    return (Execution) e;
                });
    }

    private static boolean environmentHolds(long pid, String entry) {
        try {
            String env = Files.readString(Path.of("/proc", Long.toString(pid), "environ"), StandardCharsets.ISO_8859_1);
            return Arrays.asList(env.split("\0")).contains(entry);
        } catch (IOException | SecurityException e) {
            return false; // gone meanwhile, or another user's
        }
    }

    static Path marker(Path workdir, String token) {
        return workdir.resolve("launches").resolve(token);
    }

    private void track(LocalExecution execution) {
        running.add(execution);
        execution.onExit().whenComplete((status, error) -> running.remove(execution));
    }

    @Override
    public void close() {
        for (LocalExecution e : List.copyOf(running)) {
            e.kill();
        }
        if (hook != null && Thread.currentThread() != hook) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                LOG.debug("JVM already shutting down; hook stays");
            }
        }
    }

    /** Sends a signal to a whole process group with the kill program. */
    static boolean signalGroup(long pgid, String signal) {
        if (KILL == null) {
            return false;
        }
        try {
            Process p = new ProcessBuilder(KILL.toString(), "-s", signal, "--", "-" + pgid)
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(Duration.ofSeconds(10).toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                return false;
            }
            return p.exitValue() == 0;
        } catch (IOException e) {
            LOG.warn("cannot run {} to signal process group {}: {}", KILL, pgid, e.getMessage());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static String ref(ProcessHandle handle) {
        long started = handle.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
        return REF_PREFIX + handle.pid() + ":" + started;
    }

    private static Path findProgram(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }
}
