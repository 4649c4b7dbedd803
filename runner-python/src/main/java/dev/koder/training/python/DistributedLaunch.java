package dev.koder.training.python;

import dev.koder.training.api.JobSpec;
import dev.koder.training.api.Strategy;
import dev.koder.training.spi.RunContext;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How many processes train a job and how they are started: one process with the Python command as it is, or, for
 * a job with several GPUs (or several CPU processes, see {@link #CPU_PROCESSES_PROPERTY}), {@code torchrun} with one
 * process per GPU on this node.
 *
 * <p>torchrun runs {@code --standalone}: its rendezvous listens on a port the node gives it, so two jobs on one node
 * never share one. Each line a rank prints reaches the attempt's logs prefixed {@code [rank<R>]:}. Signals to the
 * process group reach every rank; torchrun waits {@value #SHUTDOWN_TIMEOUT_SECONDS} s for ranks it stops itself, so
 * the service's grace period, not torchrun's, decides when a stopping job is killed.
 */
public final class DistributedLaunch {

    /**
     * How many processes a CPU job trains with (gloo): 1 by default. Several CPU processes train no faster than one
     * process with as many threads; they exist to run the distributed path on a machine without GPUs (tests).
     */
    public static final String CPU_PROCESSES_PROPERTY = "training.cpu-processes";
    /** How long torchrun waits for ranks it stops before it kills them. */
    static final int SHUTDOWN_TIMEOUT_SECONDS = 3600;
    /** How long a collective waits for a rank, so that a rank that died fails the others within a bounded time. */
    public static final int COLLECTIVE_TIMEOUT_SECONDS = 600;

    private DistributedLaunch() {
    }

    /**
     * @param spec the job
     * @param ctx the attempt
     * @param cpuProcesses processes for a CPU job
     * @return how many processes train the job: the GPUs allocated (else the GPUs asked for), or the CPU processes
     */
    public static int worldSize(JobSpec spec, RunContext ctx, int cpuProcesses) {
        if (spec.resources().gpus() == 0) {
            return Math.max(1, cpuProcesses);
        }
        return Math.max(1, ctx.gpus().isEmpty() ? spec.resources().gpus() : ctx.gpus().size());
    }

    /**
     * @param spec the job
     * @param world its processes
     * @return the strategy the trainer uses: the spec's, DDP when the spec left it to the service and no choice was
     *     stored, none for one process
     */
    static String strategy(JobSpec spec, int world) {
        if (world <= 1) {
            return null;
        }
        Strategy s = spec.resources().strategy();
        return s == null || s == Strategy.AUTO ? "ddp" : s.wireName();
    }

    /** What the trainer reads about its processes, added to its parameters file. */
    static Map<String, Object> parameters(JobSpec spec, int world) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("world_size", world);
        if (world > 1) {
            out.put("strategy", strategy(spec, world));
            out.put("collective_timeout_seconds", COLLECTIVE_TIMEOUT_SECONDS);
        }
        return out;
    }

    /**
     * @param python the interpreter
     * @param arguments its arguments for one process ({@code -u script args} or {@code -m module args})
     * @param world processes
     * @param rankLogs where torchrun keeps each rank's own log files
     * @return the command: the interpreter with the arguments for one process, else torchrun with them
     */
    static List<String> command(Path python, List<String> arguments, int world, Path rankLogs) {
        List<String> command = new ArrayList<>();
        command.add(python.toString());
        if (world <= 1) {
            command.addAll(arguments);
            return command;
        }
        command.addAll(List.of("-m", "torch.distributed.run", "--standalone", "--nnodes", "1",
                "--nproc-per-node", String.valueOf(world), "--max-restarts", "0", "--role", "rank", "--tee", "3",
                "--log-dir", rankLogs.toString()));
        List<String> rest = new ArrayList<>(arguments);
        if (!rest.isEmpty() && rest.get(0).equals("-u")) {
            rest.remove(0); // PYTHONUNBUFFERED is set for every trainer
        }
        if (!rest.isEmpty() && rest.get(0).equals("-m")) {
            rest.set(0, "--module");
        }
        command.addAll(rest);
        return command;
    }

    /** Environment for a launch of several processes. */
    static Map<String, String> environment(int world) {
        if (world <= 1) {
            return Map.of();
        }
        return Map.of("TORCH_ELASTIC_SHUTDOWN_TIMEOUT", String.valueOf(SHUTDOWN_TIMEOUT_SECONDS),
                // the trainer sets its thread count from the cores per rank; torchrun's default of 1 only warns
                "OMP_NUM_THREADS", "1");
    }
}
