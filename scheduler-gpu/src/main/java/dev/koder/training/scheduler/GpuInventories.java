package dev.koder.training.scheduler;

import dev.koder.training.api.GpuNode;
import dev.koder.training.spi.GpuInventory;
import dev.koder.training.spi.GpuInventoryProvider;
import dev.koder.training.spi.PluginConfig;
import java.util.List;

/**
 * The GPU inventories of this module, found through ServiceLoader. The {@code auto} one (the default) takes
 * the pool from {@value #POOL_PROPERTY} when it is set, else this host's GPUs through NVML when the library is
 * there, else no GPUs; the property {@code training.gpu.inventory} can name {@code static}, {@code nvml} or
 * {@code none} instead.
 */
public final class GpuInventories {

    /** A static pool, see {@link StaticGpuInventory}. */
    public static final String POOL_PROPERTY = "training.gpus";
    /** The NVML library to load (default {@code nvidia-ml}). */
    public static final String NVML_PROPERTY = "training.nvml.library";

    private GpuInventories() {
    }

    /** No GPUs: a CPU-only host runs CPU jobs on CPU slots. */
    public static GpuInventory none() {
        return new GpuInventory() {
            @Override
            public String name() {
                return "none";
            }

            @Override
            public List<GpuNode> nodes() {
                return List.of();
            }
        };
    }

    static GpuInventory nvmlOrNone(PluginConfig config) {
        return NvmlGpuInventory.open(config.get(NVML_PROPERTY).orElse("nvidia-ml")).map(g -> (GpuInventory) g)
                .orElseGet(GpuInventories::none);
    }

    /** The default: configured pool, else NVML, else none. */
    public static final class Auto implements GpuInventoryProvider {
        @Override
        public String name() {
            return "auto";
        }

        @Override
        public GpuInventory create(PluginConfig config) {
            return config.get(POOL_PROPERTY).filter(s -> !s.isBlank()).map(s -> (GpuInventory) StaticGpuInventory.parse(s))
                    .orElseGet(() -> nvmlOrNone(config));
        }
    }

    /** This host's GPUs through NVML (none when the library is absent). */
    public static final class Nvml implements GpuInventoryProvider {
        @Override
        public String name() {
            return "nvml";
        }

        @Override
        public int priority() {
            return -10;
        }

        @Override
        public GpuInventory create(PluginConfig config) {
            return nvmlOrNone(config);
        }
    }

    /** The pool in {@value #POOL_PROPERTY}. */
    public static final class Static implements GpuInventoryProvider {
        @Override
        public String name() {
            return "static";
        }

        @Override
        public int priority() {
            return -10;
        }

        @Override
        public GpuInventory create(PluginConfig config) {
            return StaticGpuInventory.parse(config.get(POOL_PROPERTY).orElseThrow(() -> new IllegalArgumentException(
                    "the static GPU inventory needs the property " + POOL_PROPERTY)));
        }
    }

    /** No GPUs. */
    public static final class None implements GpuInventoryProvider {
        @Override
        public String name() {
            return "none";
        }

        @Override
        public int priority() {
            return -10;
        }

        @Override
        public GpuInventory create(PluginConfig config) {
            return none();
        }
    }
}
