package dev.koder.training.slurm;

import dev.koder.training.core.Training;
import dev.koder.training.spi.Execution;
import dev.koder.training.spi.Executor;
import dev.koder.training.spi.LaunchPlan;
import dev.koder.training.spi.PluginConfig;
import dev.koder.training.tck.KitProcess;
import dev.koder.training.tck.ScriptedRunner;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A separate JVM that runs a home's jobs on the test Slurm, for the restart tests. Prints "ready" once it is the
 * worker. With a second argument {@code halt-after-submit} it dies (Runtime.halt, as a SIGKILL would) as soon as
 * slurmrestd accepted its first job, before the job's reference is stored.
 */
public final class SlurmHost {

    private SlurmHost() {
    }

    static Process start(Path home, Map<String, String> properties, String... mode) throws IOException {
        List<String> options = new ArrayList<>(List.of("-Xmx256m"));
        properties.forEach((k, v) -> options.add("-D" + k + "=" + v));
        List<String> cmd = KitProcess.java(options, SlurmHost.class, home.toString());
        cmd.addAll(List.of(mode));
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    /** The Slurm executor, but the JVM halts once its first submit was answered. */
    static final class HaltAfterSubmit implements Executor {
        final SlurmExecutor inner;

        HaltAfterSubmit(SlurmExecutor inner) {
            this.inner = inner;
        }

        @Override
        public String name() {
            return inner.name();
        }

        @Override
        public Execution start(LaunchPlan plan) throws IOException {
            inner.start(plan);
            System.out.println("submitted; halting");
            System.out.flush();
            Runtime.getRuntime().halt(137);
            throw new IllegalStateException("halted");
        }

        @Override
        public Optional<Execution> reattach(String ref) {
            return inner.reattach(ref);
        }

        @Override
        public Optional<Execution> find(String launchToken, Path workdir) throws IOException {
            return inner.find(launchToken, workdir);
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    public static void main(String[] args) throws Exception {
        Path home = Path.of(args[0]);
        Training.Builder b = Training.builder().home(home).runner(new ScriptedRunner())
                .pollInterval(Duration.ofMillis(100)).poolRefresh(Duration.ofSeconds(1));
        if (args.length > 1 && args[1].equals("halt-after-submit")) {
            Map<String, String> properties = new java.util.HashMap<>();
            System.getProperties().forEach((k, v) -> properties.put(k.toString(), v.toString()));
            b.executor(new HaltAfterSubmit(SlurmExecutor.create(SlurmSettings.from(new PluginConfig(home,
                    properties)), home)));
        }
        Training training = b.build();
        if (!training.runsJobs()) {
            System.out.println("not the worker");
            System.exit(2);
        }
        System.out.println("ready");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
