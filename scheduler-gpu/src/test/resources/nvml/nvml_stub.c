/*
 * A stand-in for libnvidia-ml with the same C interface as the calls NvmlGpuInventory makes, describing two
 * H100s. NVML itself cannot run on a machine without an NVIDIA GPU and driver; the tests compile this with
 * gcc and load it through JNA exactly as the real library is loaded.
 */
#include <string.h>

typedef struct { unsigned long long total, free, used; } nvmlMemory_t;
typedef struct { unsigned int gpu, memory; } nvmlUtilization_t;
typedef struct { unsigned int pid; unsigned long long usedGpuMemory; unsigned int gpuInstanceId, computeInstanceId; }
    nvmlProcessInfo_t;

static int initialised = 0;
static int devices[2] = {0, 1};

int nvmlInit_v2(void) { initialised = 1; return 0; }
int nvmlShutdown(void) { initialised = 0; return 0; }
int nvmlDeviceGetCount_v2(unsigned int *count) { if (!initialised) return 1; *count = 2; return 0; }
int nvmlDeviceGetHandleByIndex_v2(unsigned int index, void **device) {
    if (index > 1) return 2;
    *device = &devices[index];
    return 0;
}
int nvmlDeviceGetName(void *device, char *name, unsigned int length) {
    strncpy(name, "NVIDIA H100 80GB HBM3", length);
    return 0;
}
int nvmlDeviceGetUUID(void *device, char *uuid, unsigned int length) {
    strncpy(uuid, *(int *)device == 0 ? "GPU-00000000-stub-0000" : "GPU-11111111-stub-1111", length);
    return 0;
}
int nvmlDeviceGetMemoryInfo(void *device, nvmlMemory_t *memory) {
    memory->total = 81559ULL * 1024 * 1024;
    memory->used = (*(int *)device == 0 ? 1024ULL : 0ULL) * 1024 * 1024;
    memory->free = memory->total - memory->used;
    return 0;
}
int nvmlDeviceGetUtilizationRates(void *device, nvmlUtilization_t *u) {
    u->gpu = *(int *)device == 0 ? 37 : 0;
    u->memory = 5;
    return 0;
}
int nvmlDeviceGetComputeRunningProcesses_v3(void *device, unsigned int *count, nvmlProcessInfo_t *infos) {
    if (*(int *)device != 0) { *count = 0; return 0; }
    if (*count < 1) { *count = 1; return 7; }
    *count = 1;
    infos[0].pid = 4242;
    infos[0].usedGpuMemory = 1024ULL * 1024 * 1024;
    return 0;
}
