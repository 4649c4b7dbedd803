package dev.koder.training.spi;

/** Creates a {@link GpuInventory}; listed in {@code META-INF/services/dev.koder.training.spi.GpuInventoryProvider}. */
public interface GpuInventoryProvider extends Provider<GpuInventory> {
}
