package dev.koder.training.slurm;

import dev.koder.training.spi.GpuInventory;
import dev.koder.training.tck.GpuInventoryCompatibilityKit;
import java.nio.file.Path;

/** Slurm's nodes and GPUs, from a real single-host Slurm with two fake GPUs, pass the inventory kit. */
class SlurmGpuInventoryKitTest extends GpuInventoryCompatibilityKit {

    @Override
    protected GpuInventory newInventory() {
        return SlurmGpuInventory.create(SlurmSettings.from(SlurmCluster.get().config(Path.of("/tmp"))));
    }

    @Override
    protected int minimumGpus() {
        return 2;
    }
}
