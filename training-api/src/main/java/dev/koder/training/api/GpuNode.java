package dev.koder.training.api;

import java.util.List;

/**
 * A machine of the GPU pool; a job's GPUs are always on one node.
 *
 * @param name the node's name ({@code local} for this host)
 * @param gpus its GPUs
 */
public record GpuNode(String name, List<GpuDevice> gpus) {

    /** Copies the GPU list so the record stays immutable. */
    public GpuNode {
        gpus = List.copyOf(gpus);
    }
}
