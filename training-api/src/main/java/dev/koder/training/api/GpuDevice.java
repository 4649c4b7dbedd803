package dev.koder.training.api;

import java.util.List;

/**
 * One GPU as an inventory sees it.
 *
 * @param index index on its node (what CUDA_VISIBLE_DEVICES names)
 * @param uuid the device's UUID, or null when unknown
 * @param name model name, for example {@code NVIDIA H100 80GB HBM3}
 * @param memoryTotalMib total memory in MiB
 * @param memoryUsedMib memory in use in MiB, or -1 when unknown
 * @param utilizationPercent compute utilisation 0-100, or -1 when unknown
 * @param processes pids of processes using it (empty when unknown)
 */
public record GpuDevice(int index, String uuid, String name, long memoryTotalMib, long memoryUsedMib,
        int utilizationPercent, List<Long> processes) {

    /** Copies the process list so the record stays immutable. */
    public GpuDevice {
        processes = processes == null ? List.of() : List.copyOf(processes);
    }

    /** @return total memory in GiB */
    public double memoryGib() {
        return memoryTotalMib / 1024.0;
    }

    /**
     * @param type a spec's gpu_type, for example {@code H100} or {@code A100 40GB}
     * @return whether this device is of that type: every word of the type appears in the name, ignoring case
     */
    public boolean isType(String type) {
        if (type == null || type.isBlank()) {
            return true;
        }
        String n = name.toLowerCase(java.util.Locale.ROOT);
        for (String word : type.toLowerCase(java.util.Locale.ROOT).split("[\\s_-]+")) {
            if (!word.isEmpty() && !n.contains(word)) {
                return false;
            }
        }
        return true;
    }
}
