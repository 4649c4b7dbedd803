package dev.koder.training.core.exec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * A memory cgroup of one trainer, with a limit: the kernel's out-of-memory killer then acts inside it, on the
 * trainer and not on the service, and its own counter is the evidence that it did. cgroup v1 ({@code
 * /sys/fs/cgroup/memory}) or v2 (the unified hierarchy with the memory controller), as the host has; the service must
 * be allowed to create cgroups there (root, or a delegated subtree).
 */
final class MemoryCgroup {

    private static final Path V1 = Path.of("/sys/fs/cgroup/memory");
    private static final Path V2 = Path.of("/sys/fs/cgroup");

    private final Path dir;
    private final boolean v2;
    private volatile long kills = -1;
    private volatile long peak = -1;

    private MemoryCgroup(Path dir, boolean v2) {
        this.dir = dir;
        this.v2 = v2;
    }

    /**
     * @param name the cgroup's name (the launch token), under {@code training/}
     * @param limitBytes the memory limit
     * @return the new cgroup
     * @throws IOException saying why it cannot be made and what to change
     */
    static MemoryCgroup create(String name, long limitBytes) throws IOException {
        boolean v2 = Files.isRegularFile(V2.resolve("cgroup.controllers"))
                && Files.readString(V2.resolve("cgroup.controllers")).contains("memory");
        Path parent = (v2 ? V2 : V1).resolve("training");
        if (!v2 && !Files.isDirectory(V1)) {
            throw new IOException("this host has no memory cgroup hierarchy (neither " + V1 + " nor a unified "
                    + V2 + " with the memory controller); unset " + LocalExecutor.MEMORY_LIMIT_PROPERTY);
        }
        try {
            Files.createDirectories(parent);
            if (v2) {
                Files.writeString(V2.resolve("cgroup.subtree_control"), "+memory");
                Files.writeString(parent.resolve("cgroup.subtree_control"), "+memory");
            }
            Path dir = parent.resolve(name);
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(v2 ? "memory.max" : "memory.limit_in_bytes"), Long.toString(limitBytes));
            if (!v2 && Files.exists(dir.resolve("memory.memsw.limit_in_bytes"))) {
                try {
                    // no escape into swap: the limit holds for memory and swap together
                    Files.writeString(dir.resolve("memory.memsw.limit_in_bytes"), Long.toString(limitBytes));
                } catch (IOException noSwapAccounting) {
                    // swap not accounted on this host: the memory limit alone
                }
            }
            return new MemoryCgroup(dir, v2);
        } catch (IOException | SecurityException e) {
            throw new IOException("cannot make a memory cgroup for the trainer under " + parent + " (" + e
                    + "): the service needs to be allowed to create cgroups there, or unset "
                    + LocalExecutor.MEMORY_LIMIT_PROPERTY, e);
        }
    }

    /** @return the file a process writes its pid to in order to join */
    Path procs() {
        return dir.resolve("cgroup.procs");
    }

    /** @return the cgroup's folder */
    Path dir() {
        return dir;
    }

    /** Reads the final figures, then removes the cgroup (its processes are gone). */
    void close() {
        kills = readKills();
        peak = readPeak();
        try {
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // a process of the trainer is still in it: the folder stays, empty soon, harmless
        }
    }

    /** @return out-of-memory kills in the cgroup: the final count once closed, else now */
    OptionalLong oomKills() {
        long k = kills >= 0 ? kills : readKills();
        return k < 0 ? OptionalLong.empty() : OptionalLong.of(k);
    }

    /** @return the most memory the cgroup held: the final figure once closed, else now */
    OptionalLong peakBytes() {
        long p = peak >= 0 ? peak : readPeak();
        return p < 0 ? OptionalLong.empty() : OptionalLong.of(p);
    }

    private long readKills() {
        try {
            for (String line : Files.readAllLines(dir.resolve(v2 ? "memory.events" : "memory.oom_control"),
                    StandardCharsets.UTF_8)) {
                if (line.startsWith("oom_kill ")) {
                    return Long.parseLong(line.substring("oom_kill ".length()).trim());
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    private long readPeak() {
        try {
            return Long.parseLong(Files.readString(dir.resolve(v2 ? "memory.peak" : "memory.max_usage_in_bytes"))
                    .trim());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }
}
