package dev.koder.training.slurm;

import dev.koder.training.api.GpuDevice;
import dev.koder.training.api.GpuNode;
import dev.koder.training.spi.GpuInventory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/**
 * The pool as Slurm sees it: the nodes of the partition that can take jobs (not down, drained or failing) and their
 * GPUs from each node's gres ({@code gpu:2}, {@code gpu:h100:8}). Slurm counts GPUs but does not know what they are,
 * so their model name and memory come from {@code training.slurm.gpu-model} ({@code NVIDIA H100 80GB HBM3@80}), per
 * gres type from {@code training.slurm.gpu-model.<type>}.
 */
public final class SlurmGpuInventory implements GpuInventory {

    private static final Pattern GRES = Pattern.compile("^gpu(?::([A-Za-z0-9_.-]+))?:(\\d+)");
    private static final Pattern MODEL = Pattern.compile("^(.+)@(\\d+(?:\\.\\d+)?)$");
    private static final Set<String> UNUSABLE = Set.of("DOWN", "DRAIN", "DRAINED", "DRAINING", "FAIL", "FAILING",
            "FUTURE", "NOT_RESPONDING", "POWERED_DOWN", "POWERING_DOWN", "MAINTENANCE", "REBOOT_REQUESTED");

    private final SlurmSettings settings;
    private final SlurmClient client;

    SlurmGpuInventory(SlurmSettings settings) {
        this.settings = settings;
        this.client = new SlurmClient(settings);
    }

    /**
     * @param settings how to reach the cluster
     * @return the inventory
     */
    public static SlurmGpuInventory create(SlurmSettings settings) {
        return new SlurmGpuInventory(settings);
    }

    @Override
    public String name() {
        return "slurm";
    }

    /** @throws UncheckedIOException when slurmrestd cannot be read (the service keeps the pool it had) */
    @Override
    public List<GpuNode> nodes() {
        JsonNode answer;
        try {
            answer = client.nodes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<GpuNode> nodes = new ArrayList<>();
        for (JsonNode n : answer.path("nodes")) {
            if (!inPartition(n, settings.partition()) || !usable(n)) {
                continue;
            }
            List<GpuDevice> gpus = new ArrayList<>();
            for (String gres : n.path("gres").asString("").split(",")) {
                Matcher m = GRES.matcher(gres.strip());
                if (!m.find()) {
                    continue;
                }
                String type = m.group(1);
                int count = Integer.parseInt(m.group(2));
                String model = settings.gpuModel(type).orElseThrow(() -> new IllegalStateException("node "
                        + n.path("name").asString() + " has GPUs (" + gres.strip() + ") but Slurm does not say what "
                        + "they are: set training.slurm.gpu-model" + (type == null ? "" : "." + type)
                        + " to their name and memory, for example 'NVIDIA H100 80GB HBM3@80'"));
                Matcher mm = MODEL.matcher(model);
                if (!mm.matches()) {
                    throw new IllegalStateException("training.slurm.gpu-model must be '<name>@<GiB>', for example "
                            + "'NVIDIA H100 80GB HBM3@80', got '" + model + "'");
                }
                long mib = Math.round(Double.parseDouble(mm.group(2)) * 1024);
                for (int i = 0; i < count; i++) {
                    gpus.add(new GpuDevice(gpus.size(), null, mm.group(1).strip(), mib, -1, -1, List.of()));
                }
            }
            nodes.add(new GpuNode(n.path("name").asString(), gpus));
        }
        return nodes;
    }

    static List<String> nodeNames(JsonNode answer, String partition) {
        List<String> out = new ArrayList<>();
        for (JsonNode n : answer.path("nodes")) {
            if (inPartition(n, partition)) {
                out.add(n.path("name").asString());
            }
        }
        return out;
    }

    private static boolean inPartition(JsonNode node, String partition) {
        if (partition == null) {
            return true;
        }
        for (JsonNode p : node.path("partitions")) {
            if (p.asString().equals(partition)) {
                return true;
            }
        }
        return false;
    }

    private static boolean usable(JsonNode node) {
        if (UNUSABLE.contains(node.path("state").asString("").toUpperCase(java.util.Locale.ROOT))) {
            return false;
        }
        for (JsonNode flag : node.path("state_flags")) {
            if (UNUSABLE.contains(flag.asString().toUpperCase(java.util.Locale.ROOT))) {
                return false;
            }
        }
        return true;
    }
}
