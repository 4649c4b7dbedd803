package dev.koder.training.core;

import dev.koder.training.tck.ScriptedRunner;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A separate JVM that runs the jobs of a home, for the crash and exit tests. Prints "ready" once it is the
 * worker, then either runs until killed ({@code run}) or exits through System.exit after the given
 * milliseconds ({@code exit-after MS}).
 */
public final class ServiceHost {

    private ServiceHost() {
    }

    static Process start(Path home, String... mode) throws java.io.IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                ServiceHost.class.getName(), home.toString()));
        cmd.addAll(List.of(mode));
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    public static void main(String[] args) throws Exception {
        Training training = Training.builder().home(Path.of(args[0])).runner(new ScriptedRunner())
                .maxConcurrentJobs(2).pollInterval(Duration.ofMillis(50)).shutdownGracePeriod(Duration.ofSeconds(10))
                .build();
        if (!training.runsJobs()) {
            System.out.println("not the worker");
            System.exit(2);
        }
        System.out.println("ready");
        System.out.flush();
        if (args.length > 2 && args[1].equals("exit-after")) {
            Thread.sleep(Long.parseLong(args[2]));
            System.exit(0);
        }
        Thread.sleep(Long.MAX_VALUE);
    }
}
