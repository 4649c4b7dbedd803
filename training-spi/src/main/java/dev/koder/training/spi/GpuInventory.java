package dev.koder.training.spi;

import dev.koder.training.api.GpuNode;
import java.util.List;

/**
 * The GPUs the service may schedule jobs on: this host's (NVML), a configured pool (static), or none (a
 * CPU-only host).
 */
public interface GpuInventory extends AutoCloseable {

    /** @return the inventory's name, for example {@code nvml} */
    String name();

    /** @return the nodes and their GPUs as they are now */
    List<GpuNode> nodes();

    /** Releases native resources; the default does nothing. */
    @Override
    default void close() {
    }
}
