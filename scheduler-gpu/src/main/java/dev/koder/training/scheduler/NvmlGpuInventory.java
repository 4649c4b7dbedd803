package dev.koder.training.scheduler;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import dev.koder.training.api.GpuDevice;
import dev.koder.training.api.GpuNode;
import dev.koder.training.spi.GpuInventory;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This host's NVIDIA GPUs, read through NVML (libnvidia-ml, which ships with the driver) by JNA. The library
 * is loaded only when asked for and only if it is there: on a host without it, {@link #open} answers empty.
 */
public final class NvmlGpuInventory implements GpuInventory {

    private static final Logger LOG = LoggerFactory.getLogger(NvmlGpuInventory.class);
    static final int SUCCESS = 0;

    /** The NVML calls used, as in nvml.h. */
    interface Nvml extends Library {
        int nvmlInit_v2();

        int nvmlShutdown();

        int nvmlDeviceGetCount_v2(IntByReference count);

        int nvmlDeviceGetHandleByIndex_v2(int index, PointerByReference device);

        int nvmlDeviceGetName(Pointer device, byte[] name, int length);

        int nvmlDeviceGetUUID(Pointer device, byte[] uuid, int length);

        int nvmlDeviceGetMemoryInfo(Pointer device, Pointer memory);

        int nvmlDeviceGetUtilizationRates(Pointer device, Pointer utilization);

        int nvmlDeviceGetComputeRunningProcesses_v3(Pointer device, IntByReference count, Pointer infos);
    }

    private final Nvml nvml;
    private final String library;

    private NvmlGpuInventory(Nvml nvml, String library) {
        this.nvml = nvml;
        this.library = library;
    }

    /**
     * @param library the library to load: {@code nvidia-ml} (found the usual way) or a path
     * @return the inventory, or empty when the library is absent or does not initialise
     */
    public static Optional<NvmlGpuInventory> open(String library) {
        Nvml nvml;
        try {
            nvml = Native.load(library, Nvml.class);
        } catch (UnsatisfiedLinkError e) {
            // A driver install often has only the versioned name (no -dev package for the unversioned link).
            String versioned = "nvidia-ml".equals(library) ? "libnvidia-ml.so.1" : null;
            try {
                if (versioned == null) {
                    throw e;
                }
                nvml = Native.load(versioned, Nvml.class);
            } catch (UnsatisfiedLinkError again) {
                LOG.debug("NVML library {} not found: {}", library, e.getMessage());
                return Optional.empty();
            }
        }
        int rc = nvml.nvmlInit_v2();
        if (rc != SUCCESS) {
            LOG.warn("NVML did not initialise (error {}); no GPUs are scheduled", rc);
            return Optional.empty();
        }
        return Optional.of(new NvmlGpuInventory(nvml, library));
    }

    @Override
    public String name() {
        return "nvml";
    }

    @Override
    public synchronized List<GpuNode> nodes() {
        IntByReference count = new IntByReference();
        if (nvml.nvmlDeviceGetCount_v2(count) != SUCCESS) {
            return List.of();
        }
        List<GpuDevice> devices = new ArrayList<>();
        for (int i = 0; i < count.getValue(); i++) {
            PointerByReference handle = new PointerByReference();
            if (nvml.nvmlDeviceGetHandleByIndex_v2(i, handle) != SUCCESS) {
                continue;
            }
            Pointer d = handle.getValue();
            byte[] name = new byte[96];
            byte[] uuid = new byte[96];
            nvml.nvmlDeviceGetName(d, name, name.length);
            nvml.nvmlDeviceGetUUID(d, uuid, uuid.length);
            Memory memory = new Memory(24);
            memory.clear();
            long total = 0;
            long used = -1;
            if (nvml.nvmlDeviceGetMemoryInfo(d, memory) == SUCCESS) {
                total = memory.getLong(0);
                used = memory.getLong(16);
            }
            Memory utilization = new Memory(8);
            utilization.clear();
            int gpuPercent = nvml.nvmlDeviceGetUtilizationRates(d, utilization) == SUCCESS ? utilization.getInt(0) : -1;
            devices.add(new GpuDevice(i, cString(uuid), cString(name), total / (1024 * 1024),
                    used < 0 ? -1 : used / (1024 * 1024), gpuPercent, processes(d)));
        }
        return List.of(new GpuNode("local", devices));
    }

    /** nvmlProcessInfo_t (v3): pid (4 bytes), padding, usedGpuMemory (8), gpuInstanceId (4), computeInstanceId (4). */
    private List<Long> processes(Pointer device) {
        IntByReference count = new IntByReference(64);
        Memory infos = new Memory(64L * 24);
        infos.clear();
        if (nvml.nvmlDeviceGetComputeRunningProcesses_v3(device, count, infos) != SUCCESS) {
            return List.of();
        }
        List<Long> pids = new ArrayList<>();
        for (int i = 0; i < Math.min(64, count.getValue()); i++) {
            pids.add(Integer.toUnsignedLong(infos.getInt(i * 24L)));
        }
        return pids;
    }

    private static String cString(byte[] bytes) {
        int n = 0;
        while (n < bytes.length && bytes[n] != 0) {
            n++;
        }
        return new String(bytes, 0, n, java.nio.charset.StandardCharsets.UTF_8);
    }

    @Override
    public synchronized void close() {
        nvml.nvmlShutdown();
    }

    @Override
    public String toString() {
        return "NVML (" + library + ")";
    }
}
