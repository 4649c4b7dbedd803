package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * Where a job runs: a node and its GPUs (what the trainer sees as CUDA_VISIBLE_DEVICES).
 *
 * @param node the node's name ({@code local} for this host)
 * @param gpus GPU indexes on that node; empty for a CPU job
 */
public record Placement(@JsonProperty("node") String node, @JsonProperty("gpus") List<Integer> gpus) {

    /** Copies the list so the record stays immutable. */
    public Placement {
        gpus = gpus == null ? List.of() : List.copyOf(gpus);
    }
}
