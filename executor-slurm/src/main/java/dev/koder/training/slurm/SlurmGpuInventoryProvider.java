package dev.koder.training.slurm;

import dev.koder.training.spi.GpuInventory;
import dev.koder.training.spi.GpuInventoryProvider;
import dev.koder.training.spi.PluginConfig;

/**
 * Slurm's nodes and GPUs as the pool, chosen with {@code training.gpu.inventory=slurm}. Properties: see {@link
 * SlurmSettings}.
 */
public final class SlurmGpuInventoryProvider implements GpuInventoryProvider {

    @Override
    public String name() {
        return "slurm";
    }

    @Override
    public int priority() {
        return -200;
    }

    @Override
    public GpuInventory create(PluginConfig config) {
        return SlurmGpuInventory.create(SlurmSettings.from(config));
    }
}
