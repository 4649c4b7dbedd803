package dev.koder.training.slurm;

import dev.koder.training.spi.PluginConfig;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * How the service reaches a Slurm cluster, from the plugin properties:
 * <ul>
 * <li>{@code training.slurm.url} (required): slurmrestd, for example {@code http://slurm-head:6820}</li>
 * <li>{@code training.slurm.user} (required): the user jobs run as, sent as {@code X-SLURM-USER-NAME}</li>
 * <li>{@code training.slurm.token-file} or {@code training.slurm.token}: the JWT ({@code scontrol token}); the file is
 * read again whenever it changes, so an admin can rotate the token while the service runs</li>
 * <li>{@code training.slurm.partition}: the partition jobs go to and whose nodes make the pool (the cluster's
 * default when unset)</li>
 * <li>{@code training.slurm.cpus-per-gpu} (4) and {@code training.slurm.cpus-per-job} (for CPU jobs, 1): CPUs each
 * job asks for</li>
 * <li>{@code training.slurm.gpu-model}: the name and memory of the partition's GPUs, {@code NVIDIA H100 80GB HBM3@80}
 * (Slurm knows their count, not what they are; {@code training.slurm.gpu-model.<type>} for a typed gres such as
 * {@code gpu:a100:4})</li>
 * <li>{@code training.slurm.poll-ms} (1000): how often a running job's state is read</li>
 * </ul>
 *
 * @param url slurmrestd's base URL
 * @param user the user jobs run as
 * @param token a fixed token, or null
 * @param tokenFile a file holding the token, or null
 * @param partition the partition, or null for the cluster's default
 * @param cpusPerGpu CPUs per GPU a job asks for
 * @param cpusPerJob CPUs a CPU job asks for
 * @param gpuModel the GPUs' model name and memory, {@code name@GiB}, or null
 * @param poll how often job states are read
 * @param config every property, for typed GPU models
 */
public record SlurmSettings(URI url, String user, String token, Path tokenFile, String partition, int cpusPerGpu,
        int cpusPerJob, String gpuModel, Duration poll, PluginConfig config) {

    /** The slurmrestd API version the executor speaks (Slurm 22.05 and later serve it). */
    public static final String API = "v0.0.38";

    /**
     * @param config the plugin configuration
     * @return the settings
     * @throws IllegalArgumentException listing every missing or malformed property
     */
    public static SlurmSettings from(PluginConfig config) {
        List<String> problems = new ArrayList<>();
        URI url = null;
        Optional<String> u = config.get("training.slurm.url").map(String::strip).filter(s -> !s.isEmpty());
        if (u.isEmpty()) {
            problems.add("training.slurm.url is required: slurmrestd's address, for example http://slurm-head:6820");
        } else {
            try {
                url = URI.create(u.get().replaceAll("/+$", ""));
                if (url.getScheme() == null || !url.getScheme().toLowerCase(Locale.ROOT).startsWith("http")) {
                    problems.add("training.slurm.url must be an http(s) URL, got '" + u.get() + "'");
                }
            } catch (IllegalArgumentException e) {
                problems.add("training.slurm.url is not a URL: '" + u.get() + "'");
            }
        }
        String user = config.get("training.slurm.user").map(String::strip).filter(s -> !s.isEmpty()).orElse(null);
        if (user == null) {
            problems.add("training.slurm.user is required: the user jobs run as (the token's user)");
        }
        String token = config.get("training.slurm.token").map(String::strip).filter(s -> !s.isEmpty()).orElse(null);
        Path tokenFile = config.get("training.slurm.token-file").map(String::strip).filter(s -> !s.isEmpty())
                .map(Path::of).orElse(null);
        if (token == null && tokenFile == null) {
            problems.add("training.slurm.token-file (or training.slurm.token) is required: a JWT from "
                    + "'scontrol token username=<user>'");
        }
        int cpusPerGpu = integer(config, "training.slurm.cpus-per-gpu", 4, problems);
        int cpusPerJob = integer(config, "training.slurm.cpus-per-job", 1, problems);
        int pollMs = integer(config, "training.slurm.poll-ms", 1000, problems);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("the Slurm executor is not configured: " + String.join("; ", problems));
        }
        return new SlurmSettings(url, user, token, tokenFile, config.get("training.slurm.partition")
                .map(String::strip).filter(s -> !s.isEmpty()).orElse(null), cpusPerGpu, cpusPerJob,
                config.get("training.slurm.gpu-model").map(String::strip).orElse(null), Duration.ofMillis(pollMs),
                config);
    }

    private static int integer(PluginConfig config, String key, int fallback, List<String> problems) {
        try {
            return (int) config.whole(key, fallback, 1, Integer.MAX_VALUE);
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
            return fallback;
        }
    }

    /**
     * @param type a gres type ({@code a100} in {@code gpu:a100:4}), or null for an untyped gres
     * @return the model name and memory in GiB configured for it, if any
     */
    Optional<String> gpuModel(String type) {
        if (type != null) {
            Optional<String> typed = config.get("training.slurm.gpu-model." + type);
            if (typed.isPresent()) {
                return typed;
            }
        }
        return Optional.ofNullable(gpuModel);
    }
}
