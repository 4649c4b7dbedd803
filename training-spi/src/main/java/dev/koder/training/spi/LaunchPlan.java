package dev.koder.training.spi;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A prepared trainer launch: the command, its environment and where its files go. Made by a runner, run by
 * an executor. The command is an argument vector, never a shell string; job values reach the trainer
 * through files in the workdir, never through the command line.
 *
 * @param command program and arguments
 * @param env variables added to the executor's environment (for example {@code CUDA_VISIBLE_DEVICES})
 * @param workdir working directory of the process
 * @param stdout file that receives standard output
 * @param stderr file that receives standard error
 * @param allocation where the scheduler placed the job (its node and GPU indexes), for executors that run trainers
 *     on other machines; null when the job has no placement (a runner's plan, before the service adds it)
 * @param launchToken a token unique to this attempt, stored by the service before the start: the executor must leave
 *     it where {@link Executor#find} finds it again (the local executor: the trainer's environment,
 *     {@value #TOKEN_ENV}, and a marker file; Slurm: the job's comment); null in a runner's plan
 */
public record LaunchPlan(List<String> command, Map<String, String> env, Path workdir, Path stdout, Path stderr,
        JobScheduler.Allocation allocation, String launchToken) {

    /** The environment variable that carries the launch token to the trainer. */
    public static final String TOKEN_ENV = "TRAINING_LAUNCH_TOKEN";

    /**
     * The environment variable that tells a CPU job's trainer how many CPU threads it may use, all its processes
     * together: the service sets its host's share per CPU slot; an executor that runs the job elsewhere sets what it
     * gave the job there. Trainers sharing cores with more threads than cores wait on each other (five times slower
     * measured with two jobs on two cores).
     */
    public static final String CPU_THREADS_ENV = "TRAINING_CPU_THREADS";

    /** Checks the command is present and copies the collections so the record stays immutable. */
    public LaunchPlan {
        if (command.isEmpty()) {
            throw new IllegalArgumentException("a launch plan needs a command");
        }
        command = List.copyOf(command);
        env = Map.copyOf(env);
    }

    /**
     * A plan without a placement, as runners make it.
     *
     * @param command program and arguments
     * @param env variables added to the executor's environment
     * @param workdir working directory of the process
     * @param stdout file that receives standard output
     * @param stderr file that receives standard error
     */
    public LaunchPlan(List<String> command, Map<String, String> env, Path workdir, Path stdout, Path stderr) {
        this(command, env, workdir, stdout, stderr, null, null);
    }

    /**
     * @param env the environment
     * @param allocation the placement
     * @return this plan with that environment and placement
     */
    public LaunchPlan with(Map<String, String> env, JobScheduler.Allocation allocation) {
        return new LaunchPlan(command, env, workdir, stdout, stderr, allocation, launchToken);
    }

    /**
     * @param token the attempt's launch token
     * @return this plan with it, also in the trainer's environment as {@value #TOKEN_ENV}
     */
    public LaunchPlan withLaunchToken(String token) {
        Map<String, String> e = new LinkedHashMap<>(env);
        e.put(TOKEN_ENV, token);
        return new LaunchPlan(command, e, workdir, stdout, stderr, allocation, token);
    }

    /** @return the GPUs the job was given (0 when it has no placement or runs on the CPU) */
    public int gpuCount() {
        return allocation == null ? 0 : allocation.gpus().size();
    }
}
