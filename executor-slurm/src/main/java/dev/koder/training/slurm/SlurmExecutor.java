package dev.koder.training.slurm;

import dev.koder.training.spi.Backoff;
import dev.koder.training.spi.Execution;
import dev.koder.training.spi.Executor;
import dev.koder.training.spi.LaunchPlan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs each attempt as a Slurm batch job through slurmrestd: a GPU job pinned to the node the scheduler chose
 * ({@code nodelist}) with as many GPUs as it was given ({@code gres=gpu:N}; Slurm picks their indexes and sets
 * {@code CUDA_VISIBLE_DEVICES}, and the execution reports what it gave), the trainer's output appended to the
 * attempt's log files. The Slurm job id is the execution's reference, so a restarted service follows the job again
 * instead of launching it twice. Cancel is Slurm's: SIGTERM to the trainer, which saves a checkpoint, then SIGKILL
 * after the cluster's {@code KillWait}.
 *
 * <p>A plan's launch token goes into the job's comment ({@value #COMMENT_PREFIX}{@code <token>}). When slurmrestd
 * does not answer a submit (it may have queued the job all the same), the executor asks Slurm for a job with that
 * comment, a few times ({@link #LOST_ANSWER}), before it reports the start failed; a restarted service asks the same
 * through {@link #find}. A job is never submitted twice for one token.
 *
 * <p>The service's home must be on a filesystem every node mounts: the batch script checks the job folder is there
 * and fails with that sentence when it is not.
 */
public final class SlurmExecutor implements Executor {

    private static final Logger LOG = LoggerFactory.getLogger(SlurmExecutor.class);
    static final String REF_PREFIX = "slurm:";
    /** What a job's comment starts with, before its launch token. */
    static final String COMMENT_PREFIX = "training-launch:";
    /** What the states of Slurm jobs that Slurm ended itself start with, in an exit (see the cause table). */
    static final String STATE_PREFIX = "slurm:";
    /** Looking for a job by its token after a submit went unanswered: 3 looks, 1 s, 2 s and 4 s apart. */
    static final Backoff LOST_ANSWER = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(4));
    private static final int LOST_ANSWER_LOOKS = 3;
    /** Following jobs while slurmrestd does not answer: the next pass after 1 s, doubling up to 30 s. */
    static final Backoff POLL_RETRY = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30));
    /** The batch script's exit code when the job folder is not on the node. */
    static final int NO_SHARED_HOME = 97;
    private static final Set<String> LOCAL_FILESYSTEMS = Set.of("ext2", "ext3", "ext4", "xfs", "btrfs", "tmpfs",
            "overlay", "zfs", "f2fs");
    /** Variables of the service's environment a trainer needs on the node. */
    private static final List<String> PASSED = List.of("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "USER");

    private final SlurmSettings settings;
    private final SlurmClient client;
    private final Set<SlurmExecution> live = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService poller;
    private int pollFailures;
    private long pollNotBefore;

    SlurmExecutor(SlurmSettings settings, Path home) {
        this.settings = settings;
        this.client = new SlurmClient(settings);
        this.poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "slurm-poll");
            t.setDaemon(true);
            return t;
        });
        long every = settings.poll().toMillis();
        poller.scheduleWithFixedDelay(this::pollAll, every, every, TimeUnit.MILLISECONDS);
        warnIfHomeIsLocal(home);
    }

    /**
     * @param settings how to reach the cluster
     * @param home the service's home (checked to be shareable)
     * @return a new executor
     */
    public static SlurmExecutor create(SlurmSettings settings, Path home) {
        return new SlurmExecutor(settings, home);
    }

    @Override
    public String name() {
        return "slurm";
    }

    @Override
    public Execution start(LaunchPlan plan) throws IOException {
        Files.createDirectories(plan.stdout().toAbsolutePath().getParent());
        Files.createDirectories(plan.stderr().toAbsolutePath().getParent());
        long id;
        try {
            id = client.submit(script(plan), job(plan));
        } catch (SlurmException e) {
            if (e.status() >= 0 || plan.launchToken() == null) {
                throw e; // refused: nothing was queued
            }
            id = afterLostAnswer(plan.launchToken(), e);
        }
        SlurmExecution e = new SlurmExecution(this, id, plan.gpuCount());
        live.add(e);
        LOG.debug("submitted {} as Slurm job {}", plan.command(), id);
        return e;
    }

    /**
     * A submit went unanswered: slurmrestd may have queued the job all the same. Asks Slurm for it by its token
     * before reporting the start failed.
     */
    private long afterLostAnswer(String token, SlurmException lost) throws IOException {
        LOG.warn("slurmrestd did not answer the submit of launch {}; asking Slurm whether it queued it: {}", token,
                lost.getMessage());
        for (int look = 0; look < LOST_ANSWER_LOOKS; look++) {
            try {
                List<SlurmJob> found = client.jobsWithComment(COMMENT_PREFIX + token);
                if (!found.isEmpty()) {
                    LOG.info("launch {} was queued as Slurm job {} although its answer was lost", token,
                            found.get(0).id());
                    return found.get(0).id();
                }
            } catch (IOException e) {
                LOG.warn("cannot ask Slurm for launch {} yet: {}", token, e.getMessage());
            }
            try {
                LOST_ANSWER.sleep(look);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new SlurmException("slurmrestd did not answer the submit, and Slurm shows no job with launch token "
                + token + " after " + LOST_ANSWER_LOOKS + " looks: " + lost.getMessage(), lost);
    }

    @Override
    public Optional<Execution> find(String launchToken, Path workdir) throws IOException {
        if (launchToken == null) {
            return Optional.empty();
        }
        for (SlurmJob job : client.jobsWithComment(COMMENT_PREFIX + launchToken)) {
            if (job.active()) {
                SlurmExecution e = new SlurmExecution(this, job.id(), -1);
                e.seen(job);
                live.add(e);
                return Optional.of(e);
            }
        }
        return Optional.empty();
    }

    /**
     * The batch script: checks the job folder is on the node, then runs the trainer as the leader of a process group
     * of its own and waits for it; when it ends, whatever it left in its group is killed (Slurm's process tracking on
     * Linux without cgroups loses processes whose parent died). Slurm signals every process of the job itself, so a
     * SIGTERM reaching the script is not passed on again. Every word is single-quoted; the command holds paths the
     * service made, never text of a spec.
     */
    static String script(LaunchPlan plan) {
        String workdir = quote(plan.workdir().toAbsolutePath().toString());
        return "#!/bin/sh\n"
                + "# a training attempt, submitted by the training service\n"
                + "if [ ! -d " + workdir + " ]; then\n"
                + "  echo \"the job folder \"" + workdir + "\" is not on node $(hostname): the service's home must be "
                + "on a filesystem every node mounts\" >&2\n"
                + "  exit " + NO_SHARED_HOME + "\n"
                + "fi\n"
                + "trap 'true' TERM INT\n"
                + "setsid " + plan.command().stream().map(SlurmExecutor::quote).collect(Collectors.joining(" "))
                + " &\n"
                + "trainer=$!\n"
                + "while :; do\n"
                + "  wait \"$trainer\"; code=$?\n"
                + "  kill -0 \"$trainer\" 2>/dev/null || break\n"
                + "done\n"
                + "kill -KILL -\"$trainer\" 2>/dev/null\n"
                + "exit \"$code\"\n";
    }

    static String quote(String word) {
        return "'" + word.replace("'", "'\\''") + "'";
    }

    Map<String, Object> job(LaunchPlan plan) {
        Map<String, String> env = new LinkedHashMap<>();
        for (String name : PASSED) {
            String value = System.getenv(name);
            if (value != null) {
                env.put(name, value);
            }
        }
        env.putAll(plan.env());
        int gpus = plan.gpuCount();
        if (gpus > 0) {
            env.remove("CUDA_VISIBLE_DEVICES"); // Slurm sets it for the GPUs it gives
        } else {
            // the service's share of its own host means nothing on the node: the trainer uses the CPUs asked for here
            env.put(LaunchPlan.CPU_THREADS_ENV, Integer.toString(settings.cpusPerJob()));
        }
        Map<String, Object> job = new LinkedHashMap<>();
        job.put("name", "training-" + plan.workdir().getFileName());
        if (plan.launchToken() != null) {
            job.put("comment", COMMENT_PREFIX + plan.launchToken());
        }
        if (settings.partition() != null) {
            job.put("partition", settings.partition());
        }
        job.put("current_working_directory", plan.workdir().toAbsolutePath().toString());
        job.put("standard_output", plan.stdout().toAbsolutePath().toString());
        job.put("standard_error", plan.stderr().toAbsolutePath().toString());
        job.put("environment", env);
        job.put("requeue", false);
        job.put("cpus_per_task", gpus > 0 ? gpus * settings.cpusPerGpu() : settings.cpusPerJob());
        if (gpus > 0) {
            // a CPU job's slot is the service's, not a node's: Slurm places it
            job.put("nodelist", plan.allocation().node());
            job.put("gres", "gpu:" + gpus);
        }
        return job;
    }

    @Override
    public Optional<Execution> reattach(String ref) {
        if (ref == null || !ref.startsWith(REF_PREFIX)) {
            return Optional.empty();
        }
        long id;
        try {
            id = Long.parseLong(ref.substring(REF_PREFIX.length()));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        try {
            Optional<SlurmJob> job = client.job(id);
            if (job.isEmpty() || !job.get().active()) {
                return Optional.empty();
            }
            SlurmExecution e = new SlurmExecution(this, id, -1);
            e.seen(job.get());
            live.add(e);
            return Optional.of(e);
        } catch (SlurmException e) {
            if (e.status() >= 0) {
                LOG.warn("cannot find Slurm job {} again: {}", id, e.getMessage());
                return Optional.empty();
            }
            // No answer: the job may well be running. Follow it rather than start it a second time.
            LOG.warn("slurmrestd did not answer while re-attaching Slurm job {}; following it until it does: {}", id,
                    e.getMessage());
            SlurmExecution ex = new SlurmExecution(this, id, -1);
            live.add(ex);
            return Optional.of(ex);
        } catch (IOException e) {
            LOG.warn("cannot find Slurm job {} again: {}", id, e.getMessage());
            return Optional.empty();
        }
    }

    SlurmClient client() {
        return client;
    }

    private void pollAll() {
        if (System.nanoTime() < pollNotBefore) {
            return; // slurmrestd did not answer lately: asked again after the backoff
        }
        boolean failed = false;
        for (SlurmExecution e : List.copyOf(live)) {
            try {
                Optional<SlurmJob> job = client.job(e.id());
                if (job.isEmpty()) {
                    e.ended(null);
                } else {
                    e.seen(job.get());
                }
            } catch (IOException | RuntimeException ex) {
                failed = true;
                LOG.warn("cannot read Slurm job {}; will retry: {}", e.id(), ex.getMessage());
            }
            if (e.onExit().isDone()) {
                live.remove(e);
            }
        }
        pollFailures = failed ? pollFailures + 1 : 0;
        pollNotBefore = failed ? System.nanoTime() + POLL_RETRY.delay(pollFailures - 1).toNanos() : 0;
    }

    private void warnIfHomeIsLocal(Path home) {
        try {
            String type = Files.getFileStore(home).type().toLowerCase(Locale.ROOT);
            if (!LOCAL_FILESYSTEMS.contains(type)) {
                return;
            }
            String here = java.net.InetAddress.getLocalHost().getHostName().split("\\.")[0];
            List<String> others = SlurmGpuInventory.nodeNames(client.nodes(), settings.partition()).stream()
                    .filter(n -> !n.equals(here)).toList();
            if (!others.isEmpty()) {
                LOG.warn("the service's home {} is on a local {} filesystem, but Slurm's nodes {} are other machines: "
                        + "their jobs will not find the job folders. Put the home on a filesystem every node mounts "
                        + "(NFS, Lustre...)", home, type, others);
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("could not check the home's filesystem: {}", e.toString());
        }
    }

    /** Kills every job it started that is still running, waits (up to 30 s) until Slurm shows them ended, stops. */
    @Override
    public void close() {
        List<SlurmExecution> running = List.copyOf(live).stream().filter(SlurmExecution::isAlive).toList();
        running.forEach(SlurmExecution::kill);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (running.stream().anyMatch(e -> !e.onExit().isDone()) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(settings.poll().toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        poller.shutdownNow();
    }
}
