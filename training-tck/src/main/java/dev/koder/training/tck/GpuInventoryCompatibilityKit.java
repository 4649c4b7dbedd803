package dev.koder.training.tck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.GpuDevice;
import dev.koder.training.api.GpuNode;
import dev.koder.training.spi.GpuInventory;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * What every {@link GpuInventory} must report: nodes with unique, non-blank names; on each, GPUs with unique indexes
 * from 0, a model name and their memory; utilisation and memory in use within bounds or unknown (-1); the same pool
 * when asked again; a close that may be called twice. Extend it and implement {@link #newInventory()}; say how many
 * GPUs the pool under test has at least ({@link #minimumGpus()}), so the kit never passes on an empty answer by
 * accident.
 */
public abstract class GpuInventoryCompatibilityKit {

    /** @return a new inventory */
    protected abstract GpuInventory newInventory();

    /** @return the fewest GPUs the inventory under test must report (0 for a host known to have none) */
    protected int minimumGpus() {
        return 1;
    }

    @Test
    void nodesAndGpus_areNamedUniquely_withTheirModelAndMemory() {
        try (GpuInventory inventory = newInventory()) {
            assertThat(inventory.name()).isNotBlank();
            List<GpuNode> nodes = inventory.nodes();
            assertThat(nodes).isNotNull();
            Set<String> names = new HashSet<>();
            int gpus = 0;
            for (GpuNode n : nodes) {
                assertThat(n.name()).isNotBlank();
                assertThat(names.add(n.name())).as("node %s listed twice", n.name()).isTrue();
                Set<Integer> indexes = new HashSet<>();
                for (GpuDevice d : n.gpus()) {
                    assertThat(d.index()).isGreaterThanOrEqualTo(0);
                    assertThat(indexes.add(d.index())).as("GPU %d of %s listed twice", d.index(), n.name()).isTrue();
                    assertThat(d.name()).isNotBlank();
                    assertThat(d.memoryTotalMib()).as("memory of GPU %d of %s", d.index(), n.name()).isPositive();
                    assertThat(d.memoryUsedMib()).isBetween(-1L, d.memoryTotalMib());
                    assertThat(d.utilizationPercent()).isBetween(-1, 100);
                    gpus++;
                }
                assertThat(indexes).allSatisfy(i -> assertThat(i).isLessThan(n.gpus().size()));
            }
            assertThat(gpus).isGreaterThanOrEqualTo(minimumGpus());
        }
    }

    @Test
    void askedAgain_thePoolIsTheSame() {
        try (GpuInventory inventory = newInventory()) {
            List<GpuNode> first = inventory.nodes();
            List<GpuNode> second = inventory.nodes();
            assertThat(second.stream().map(GpuNode::name).toList()).isEqualTo(first.stream().map(GpuNode::name).toList());
            assertThat(second.stream().map(n -> n.gpus().size()).toList())
                    .isEqualTo(first.stream().map(n -> n.gpus().size()).toList());
        }
    }

    @Test
    void close_mayBeCalledTwice() {
        GpuInventory inventory = newInventory();
        inventory.nodes();
        inventory.close();
        inventory.close();
    }
}
