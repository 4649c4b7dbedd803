package dev.koder.training.postgres;

import dev.koder.training.spi.PluginConfig;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server for the tests, from Debian's {@code postgresql} package: a throwaway cluster made with
 * initdb in a temporary folder, listening on a free loopback port with password authentication, stopped when the
 * JVM exits. As root (CI) it runs as the package's {@code postgres} user, which PostgreSQL requires. Each test gets
 * a schema of its own. Without the package installed it fails and says what to install.
 */
final class PostgresServer {

    static final String USER = "training";
    static final String PASSWORD = "kit-password";

    private static PostgresServer running;

    private final int port;
    private final AtomicInteger schemas = new AtomicInteger();
    private final Map<Path, String> schemaOf = new ConcurrentHashMap<>();

    private PostgresServer(int port) {
        this.port = port;
    }

    /** @return the server, started on first use */
    static synchronized PostgresServer get() {
        if (running == null) {
            try {
                running = start();
            } catch (IOException e) {
                throw new IllegalStateException("cannot start the test PostgreSQL server: " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted starting PostgreSQL", e);
            }
        }
        return running;
    }

    int port() {
        return port;
    }

    String url() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/training";
    }

    /** @param dir a test's folder @return settings on the schema of that folder, the same for the same folder */
    PostgresSettings settings(Path dir) {
        String schema = schemaOf.computeIfAbsent(dir, d -> "kit_" + schemas.incrementAndGet());
        return new PostgresSettings(url(), USER, PASSWORD, schema, 32);
    }

    /** @param dir a test's folder @return the service's properties that choose PostgreSQL on that folder's schema */
    Map<String, String> properties(Path dir) {
        PostgresSettings s = settings(dir);
        // the store's name alone: every part of it (quotas, registry, keys, files, lease...) follows
        return Map.of("training.store", "postgres", PostgresSettings.PREFIX + "url",
                s.url(), PostgresSettings.PREFIX + "user", USER, PostgresSettings.PREFIX + "password", PASSWORD,
                PostgresSettings.PREFIX + "schema", s.schema());
    }

    PluginConfig config(Path dir) {
        return new PluginConfig(dir, properties(dir));
    }

    private static Path binaries() {
        Path root = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(root)) {
            try (Stream<Path> versions = Files.list(root)) {
                return versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("initdb")))
                        .max(Comparator.comparing(Path::toString)).orElse(null);
            } catch (IOException e) {
                return null;
            }
        }
        return null;
    }

    private static PostgresServer start() throws IOException, InterruptedException {
        Path bin = binaries();
        if (bin == null) {
            throw new IOException("PostgreSQL's server programs (initdb, pg_ctl) are not installed: install them with "
                    + "'apt-get install postgresql' (as root; .ci/run does)");
        }
        boolean root = "root".equals(System.getProperty("user.name"));
        Path base = Files.createTempDirectory("training-pg");
        Path data = base.resolve("data");
        Path pw = base.resolve("pw");
        Files.writeString(pw, PASSWORD + "\n", StandardCharsets.UTF_8);
        if (root) {
            run(List.of("chown", "-R", "postgres:postgres", base.toString()), false);
        }
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        run(List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", USER, "--pwfile=" + pw,
                "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"), root);
        // fsync off: a test cluster thrown away at exit needs no durability, and it makes the tests faster
        run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-l", base.resolve("log").toString(), "-w",
                "-t", "60", "-o", "-p " + port + " -c listen_addresses=127.0.0.1 -k " + base + " -c fsync=off "
                        + "-c max_connections=400", "start"), root);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate", "-w", "stop"),
                        root);
            } catch (IOException | InterruptedException ignored) {
                // the JVM is going away
            }
            deleteQuietly(base);
        }));
        run(List.of(bin.resolve("psql").toString(), "-h", base.toString(), "-p", Integer.toString(port), "-U", USER,
                "-d", "postgres", "-c", "CREATE DATABASE training"), root);
        return new PostgresServer(port);
    }

    private static void run(List<String> command, boolean asPostgres) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        if (asPostgres) {
            cmd.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        cmd.addAll(command);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out);
        }
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException ignored) {
            // a temporary folder
        }
    }
}
