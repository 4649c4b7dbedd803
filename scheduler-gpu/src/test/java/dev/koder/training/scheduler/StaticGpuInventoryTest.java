package dev.koder.training.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.koder.training.api.GpuNode;
import dev.koder.training.spi.PluginConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StaticGpuInventoryTest {

    @Test
    void parsesNodesAndGroups() {
        List<GpuNode> nodes = StaticGpuInventory.parse("a=8xNVIDIA H100 80GB HBM3@80; b=2xNVIDIA A100-SXM4-40GB@40"
                + "+1xNVIDIA L4@24").nodes();
        assertThat(nodes).extracting(GpuNode::name).containsExactly("a", "b");
        assertThat(nodes.get(0).gpus()).hasSize(8).allSatisfy(g -> assertThat(g.memoryGib()).isEqualTo(80));
        assertThat(nodes.get(1).gpus()).extracting(g -> g.index() + " " + g.name()).containsExactly(
                "0 NVIDIA A100-SXM4-40GB", "1 NVIDIA A100-SXM4-40GB", "2 NVIDIA L4");
    }

    @Test
    void aBadDescription_namesThePart() {
        assertThatThrownBy(() -> StaticGpuInventory.parse("a=8 H100")).hasMessage(
                "training.gpus: \"8 H100\" of node a is not COUNTxMODEL@GIB, for example 8xNVIDIA H100 80GB HBM3@80");
        assertThatThrownBy(() -> StaticGpuInventory.parse("8xH100@80")).hasMessageContaining("is not NAME=COUNTxMODEL@GIB");
    }

    @Test
    void theAutoProvider_takesTheConfiguredPool() {
        var inventory = new GpuInventories.Auto().create(new PluginConfig(Path.of("/tmp"),
                Map.of(GpuInventories.POOL_PROPERTY, "local=2xNVIDIA H100 80GB HBM3@80")));
        assertThat(inventory.name()).isEqualTo("static");
        assertThat(inventory.nodes().get(0).gpus()).hasSize(2);
    }
}
