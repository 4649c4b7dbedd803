package dev.koder.training.slurm;

import dev.koder.training.core.Training;
import dev.koder.training.tck.ScriptedRunner;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A separate JVM that runs a home's jobs on the test Slurm, for the restart test. Prints "ready" once it is the worker. */
public final class SlurmHost {

    private SlurmHost() {
    }

    static Process start(Path home, Map<String, String> properties) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m"));
        properties.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), SlurmHost.class.getName(), home.toString()));
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    public static void main(String[] args) throws Exception {
        Training training = Training.builder().home(Path.of(args[0])).runner(new ScriptedRunner())
                .pollInterval(Duration.ofMillis(100)).poolRefresh(Duration.ofSeconds(1)).build();
        if (!training.runsJobs()) {
            System.out.println("not the worker");
            System.exit(2);
        }
        System.out.println("ready");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
