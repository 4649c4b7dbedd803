package dev.koder.training.scheduler;

import dev.koder.training.spi.GpuInventory;
import dev.koder.training.tck.GpuInventoryCompatibilityKit;
import dev.koder.training.tck.ScratchDir;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Nested;

/** The static and NVML inventories pass the inventory compatibility kit (NVML through the test's stub library). */
class GpuInventoryKitTests {

    private static Path stub;

    static synchronized Path stub() {
        if (stub == null) {
            try {
                Path dir = ScratchDir.create("nvml-stub");
                Path source = Path.of(GpuInventoryKitTests.class.getResource("/nvml/nvml_stub.c").toURI());
                Path library = dir.resolve("libnvidia-ml-stub.so");
                Process gcc = new ProcessBuilder("gcc", "-shared", "-fPIC", "-O1", "-o", library.toString(),
                        source.toString()).redirectErrorStream(true).start();
                String out = new String(gcc.getInputStream().readAllBytes());
                if (gcc.waitFor() != 0) {
                    throw new IllegalStateException("gcc could not build the NVML stub: " + out);
                }
                stub = library;
            } catch (java.io.IOException e) {
                throw new UncheckedIOException(e);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        return stub;
    }

    /** A pool described by configuration. */
    @Nested
    class Static extends GpuInventoryCompatibilityKit {
        @Override
        protected GpuInventory newInventory() {
            return StaticGpuInventory.parse("a=8xNVIDIA H100 80GB HBM3@80; b=2xNVIDIA L4@24+1xNVIDIA A100-SXM4-40GB@40");
        }
    }

    /** This host's GPUs through NVML (the stub reports two H100s). */
    @Nested
    class Nvml extends GpuInventoryCompatibilityKit {
        @Override
        protected GpuInventory newInventory() {
            return NvmlGpuInventory.open(stub().toString()).orElseThrow();
        }

        @Override
        protected int minimumGpus() {
            return 2;
        }
    }
}
