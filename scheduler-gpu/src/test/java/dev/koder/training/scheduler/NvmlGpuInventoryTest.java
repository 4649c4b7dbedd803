package dev.koder.training.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.GpuDevice;
import dev.koder.training.api.GpuNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * NVML through JNA. There is no NVIDIA driver on the test machines, so the library loaded here is a stub with
 * NVML's C interface (src/test/resources/nvml/nvml_stub.c, compiled with gcc by the test); the JNA bindings,
 * struct layouts and string handling are the real ones.
 */
class NvmlGpuInventoryTest {

    @TempDir
    Path dir;

    Path stub() throws Exception {
        Path source = Path.of(NvmlGpuInventoryTest.class.getResource("/nvml/nvml_stub.c").toURI());
        Path library = dir.resolve("libnvidia-ml-stub.so");
        Process gcc = new ProcessBuilder("gcc", "-shared", "-fPIC", "-O1", "-o", library.toString(), source.toString())
                .redirectErrorStream(true).start();
        String out = new String(gcc.getInputStream().readAllBytes());
        assertThat(gcc.waitFor()).as("gcc: %s", out).isZero();
        return library;
    }

    @Test
    void readsEveryGpu_withNameUuidMemoryUtilisationAndProcesses() throws Exception {
        try (NvmlGpuInventory nvml = NvmlGpuInventory.open(stub().toString()).orElseThrow()) {
            List<GpuNode> nodes = nvml.nodes();
            assertThat(nodes).singleElement().satisfies(n -> assertThat(n.name()).isEqualTo("local"));
            List<GpuDevice> gpus = nodes.get(0).gpus();
            assertThat(gpus).hasSize(2);
            GpuDevice first = gpus.get(0);
            assertThat(first.index()).isZero();
            assertThat(first.name()).isEqualTo("NVIDIA H100 80GB HBM3");
            assertThat(first.uuid()).isEqualTo("GPU-00000000-stub-0000");
            assertThat(first.memoryTotalMib()).isEqualTo(81559);
            assertThat(first.memoryUsedMib()).isEqualTo(1024);
            assertThat(first.utilizationPercent()).isEqualTo(37);
            assertThat(first.processes()).containsExactly(4242L);
            assertThat(first.isType("H100")).isTrue();
            assertThat(gpus.get(1).processes()).isEmpty();
            assertThat(nvml.name()).isEqualTo("nvml");
        }
    }

    @Test
    void withoutTheLibrary_thereIsNoInventory_andTheAutoProviderFallsBackToNone() {
        assertThat(NvmlGpuInventory.open(dir.resolve("libnvidia-ml-absent.so").toString())).isEmpty();
        var auto = new GpuInventories.Auto().create(new dev.koder.training.spi.PluginConfig(dir,
                java.util.Map.of(GpuInventories.NVML_PROPERTY, dir.resolve("absent.so").toString())));
        assertThat(auto.name()).isEqualTo("none");
        assertThat(auto.nodes()).isEmpty();
        assertThat(Files.exists(dir.resolve("absent.so"))).isFalse();
    }
}
