package dev.koder.training.slurm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real single-host Slurm 22.05 with two fake GPUs, started once per test JVM by the module's
 * {@code cluster/single-host-slurm.sh} on ports of its own, and stopped (every job cancelled first) when the JVM
 * exits, its folder deleted. Needs root and the Debian packages slurm-wlm, slurmrestd and munge, which .ci/run
 * installs; without them it fails with the command to run.
 */
final class SlurmCluster {

    static final Path SCRIPT = Path.of("cluster/single-host-slurm.sh").toAbsolutePath();
    private static SlurmCluster instance;

    final Path dir;
    final Map<String, String> properties;
    final String node;

    private SlurmCluster() throws IOException, InterruptedException {
        dir = Files.createTempDirectory("slurm-cluster");
        Map<String, String> env = new LinkedHashMap<>();
        env.put("SLURM_TEST_CTLD_PORT", String.valueOf(freePort()));
        env.put("SLURM_TEST_SLURMD_PORT", String.valueOf(freePort()));
        env.put("SLURM_TEST_REST_PORT", String.valueOf(freePort()));
        String out = run(env, "start", dir.toString(), "2");
        properties = new LinkedHashMap<>();
        for (String line : out.split("\n")) {
            int eq = line.indexOf('=');
            if (line.startsWith("training.") && eq > 0) {
                properties.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        properties.put("training.slurm.gpu-model", "NVIDIA H100 80GB HBM3@80");
        properties.put("training.slurm.cpus-per-gpu", "1");
        properties.put("training.slurm.poll-ms", "200");
        node = java.net.InetAddress.getLocalHost().getHostName().split("\\.")[0];
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                run(Map.of(), "stop", dir.toString());
                try (var files = Files.walk(dir)) {
                    for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            } catch (IOException | InterruptedException e) {
                System.err.println("could not stop the test Slurm cluster in " + dir + ": " + e);
            }
        }, "slurm-cluster-stop"));
    }

    static synchronized SlurmCluster get() {
        if (instance == null) {
            try {
                instance = new SlurmCluster();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return instance;
    }

    /** @return the executor's settings for this cluster */
    dev.koder.training.spi.PluginConfig config(Path home) {
        return new dev.koder.training.spi.PluginConfig(home, properties);
    }

    /** @return lines of Slurm's job completion log (jobcomp/filetxt), one per ended job */
    List<String> completed() throws IOException {
        Path log = dir.resolve("log/jobcomp.txt");
        return Files.exists(log) ? Files.readAllLines(log) : List.of();
    }

    private static String run(Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of("bash", SCRIPT.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(2, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException("cannot " + args[0] + " the test Slurm cluster (" + SCRIPT + "): " + out
                    + "\nOn Debian, as root: apt-get install -y slurm-wlm slurmrestd munge");
        }
        return out;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
