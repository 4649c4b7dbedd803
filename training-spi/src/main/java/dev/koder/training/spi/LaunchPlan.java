package dev.koder.training.spi;

import java.nio.file.Path;
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
 */
public record LaunchPlan(List<String> command, Map<String, String> env, Path workdir, Path stdout, Path stderr) {

    /** Checks the command is present and copies the collections so the record stays immutable. */
    public LaunchPlan {
        if (command.isEmpty()) {
            throw new IllegalArgumentException("a launch plan needs a command");
        }
        command = List.copyOf(command);
        env = Map.copyOf(env);
    }
}
