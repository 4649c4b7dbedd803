package dev.koder.training.scheduler;

import dev.koder.training.api.GpuDevice;
import dev.koder.training.api.GpuNode;
import dev.koder.training.spi.GpuInventory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A GPU pool described in configuration, for tests, simulations and pools whose GPUs this host cannot see.
 * The description lists nodes separated by commas or semicolons, each {@code NAME=COUNTxMODEL@GIB}, and a node
 * may list several groups joined by {@code +}:
 *
 * <pre>
 * training.gpus=node-a=8xNVIDIA H100 80GB HBM3@80;node-b=4xNVIDIA A100-SXM4-40GB@40+2xNVIDIA L4@24
 * </pre>
 */
public final class StaticGpuInventory implements GpuInventory {

    private static final Pattern GROUP = Pattern.compile("\\s*(\\d+)\\s*[xX]\\s*(.+?)\\s*@\\s*(\\d+(?:\\.\\d+)?)\\s*");

    private final List<GpuNode> nodes;

    /** @param nodes the pool */
    public StaticGpuInventory(List<GpuNode> nodes) {
        this.nodes = List.copyOf(nodes);
    }

    /**
     * @param description the pool, as above
     * @return the inventory
     * @throws IllegalArgumentException naming the part that cannot be read
     */
    public static StaticGpuInventory parse(String description) {
        Map<String, List<GpuDevice>> nodes = new LinkedHashMap<>();
        for (String node : description.split("[;,]")) {
            if (node.isBlank()) {
                continue;
            }
            int eq = node.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("training.gpus: \"" + node.trim() + "\" is not NAME=COUNTxMODEL@GIB");
            }
            String name = node.substring(0, eq).trim();
            List<GpuDevice> gpus = nodes.computeIfAbsent(name, n -> new ArrayList<>());
            for (String group : node.substring(eq + 1).split("\\+")) {
                Matcher m = GROUP.matcher(group);
                if (!m.matches()) {
                    throw new IllegalArgumentException("training.gpus: \"" + group.trim() + "\" of node " + name
                            + " is not COUNTxMODEL@GIB, for example 8xNVIDIA H100 80GB HBM3@80");
                }
                int count = Integer.parseInt(m.group(1));
                long mib = Math.round(Double.parseDouble(m.group(3)) * 1024);
                for (int i = 0; i < count; i++) {
                    int index = gpus.size();
                    gpus.add(new GpuDevice(index, String.format(Locale.ROOT, "static-%s-%d", name, index),
                            m.group(2), mib, -1, -1, List.of()));
                }
            }
        }
        List<GpuNode> out = new ArrayList<>();
        nodes.forEach((name, gpus) -> out.add(new GpuNode(name, gpus)));
        return new StaticGpuInventory(out);
    }

    @Override
    public String name() {
        return "static";
    }

    @Override
    public List<GpuNode> nodes() {
        return nodes;
    }
}
