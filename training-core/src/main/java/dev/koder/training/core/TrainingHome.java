package dev.koder.training.core;

import dev.koder.training.api.StorageException;
import dev.koder.training.spi.PluginConfig;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * A service's home folder, made writable, and its settings: {@code <home>/training.properties} (what every process on
 * the home shares: GPU pool, prices, stores), overridden by {@code training.*} system properties, overridden by the
 * builder's. Where the jobs' work folders are: {@value Training#JOBS_DIR_PROPERTY}, else {@code <home>/jobs}.
 */
final class TrainingHome {

    /** The home, absolute. */
    final Path path;
    /** Every setting, merged. */
    final Map<String, String> properties;
    /** The settings as plugins get them. */
    final PluginConfig config;
    /** The jobs' work folders. */
    final Path jobsDir;

    private TrainingHome(Path path, Map<String, String> properties) {
        this.path = path;
        this.properties = properties;
        this.config = new PluginConfig(path, properties);
        this.jobsDir = config.text(Training.JOBS_DIR_PROPERTY).map(d -> path.resolve(d).toAbsolutePath().normalize())
                .orElse(path.resolve("jobs"));
    }

    /**
     * @param home the home folder, made when absent
     * @param overrides the builder's settings
     * @return the home with its settings
     * @throws StorageException when the folder cannot be made or written, or its properties file read
     */
    static TrainingHome open(Path home, Map<String, String> overrides) {
        Path path = prepare(home.toAbsolutePath().normalize());
        Map<String, String> properties = read(path);
        System.getProperties().forEach((k, v) -> {
            if (String.valueOf(k).startsWith("training.")) {
                properties.put(String.valueOf(k), String.valueOf(v));
            }
        });
        properties.putAll(overrides);
        properties.putIfAbsent("training.executor.kill-on-exit", "false");
        return new TrainingHome(path, properties);
    }

    /** Makes the jobs' folder, where a worker writes. */
    void makeJobsDir() {
        try {
            Files.createDirectories(jobsDir);
        } catch (IOException e) {
            throw new StorageException("Cannot create " + jobsDir + ": " + describe(e), false, e);
        }
    }

    /**
     * Reads {@code <home>/training.properties}, the settings every process on a home shares (GPU pool, prices,
     * scheduler): system properties and the builder's override it.
     */
    private static Map<String, String> read(Path home) {
        Map<String, String> properties = new LinkedHashMap<>();
        Path file = home.resolve(Training.PROPERTIES_FILE);
        if (Files.isRegularFile(file)) {
            Properties read = new Properties();
            try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                read.load(in);
            } catch (IOException | IllegalArgumentException e) {
                throw new StorageException("Cannot read " + file + ": " + e.getMessage(), false, e);
            }
            read.stringPropertyNames().stream().sorted().forEach(k -> properties.put(k, read.getProperty(k).strip()));
        }
        return properties;
    }

    private static Path prepare(Path home) {
        try {
            Files.createDirectories(home);
        } catch (FileAlreadyExistsException e) {
            throw new StorageException("Cannot use " + home + " as the home directory: it is a file, not a folder.",
                    false, e);
        } catch (IOException e) {
            throw new StorageException("Cannot create the home directory " + home + ": " + describe(e), false, e);
        }
        if (!Files.isDirectory(home)) {
            throw new StorageException("Cannot use " + home + " as the home directory: it is not a folder.", false,
                    null);
        }
        Path probe = home.resolve(".write-test-" + ProcessHandle.current().pid());
        try {
            Files.writeString(probe, "ok");
            Files.delete(probe);
        } catch (IOException e) {
            throw new StorageException("Cannot write to the home directory " + home + ": " + describe(e)
                    + ". Check its permissions or pick another with --home.", false, e);
        }
        return home;
    }

    private static String describe(IOException e) {
        String type = e.getClass().getSimpleName().replace("Exception", "");
        String detail = e.getMessage() == null ? "" : e.getMessage();
        return switch (type) {
            case "AccessDenied" -> "permission denied";
            case "NotDirectory", "FileSystem" -> detail.contains("Not a directory") ? "a parent is a file, not a folder"
                    : detail;
            default -> detail.isEmpty() ? type : detail;
        };
    }
}
