package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.regex.Pattern;

/**
 * What a job needs to run: a number of GPUs of a type with at least some memory each, or the CPU.
 *
 * <pre>{@code
 * Resources.cpu();
 * Resources.gpus(1);
 * Resources.builder().gpus(2).gpuType("H100").minGpuMemoryGib(80).maxRuntimeMinutes(600).build();
 * Resources.builder().gpus(8).strategy(Strategy.FSDP).build();
 * }</pre>
 *
 * @param gpus GPUs on one node, 0 (CPU) to 64; default 1
 * @param gpuType GPU model the job must run on, for example {@code H100} (matched against the GPU name);
 *     any type when null
 * @param minGpuMemoryGib least memory per GPU in GiB, 1 to 4096; no minimum when null
 * @param maxRuntimeMinutes wall-clock limit after which the job is stopped with a checkpoint, 1 to 43,200;
 *     no limit when null
 * @param strategy how several GPUs share the work: {@link Strategy#AUTO} (the default) lets the estimate choose
 *     DDP or FSDP
 * @param maxRetries how many times an attempt that failed for a transient cause (a trainer killed without
 *     out-of-memory evidence, a launch fault; see the service's retry policy) is retried from the last
 *     checkpoint, 0 to 10; the service's policy when null (2 by default)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Resources(
        @JsonProperty("gpus") Integer gpus,
        @JsonProperty("gpu_type") String gpuType,
        @JsonProperty("min_gpu_memory_gib") Integer minGpuMemoryGib,
        @JsonProperty("max_runtime_minutes") Integer maxRuntimeMinutes,
        @JsonProperty("strategy") Strategy strategy,
        @JsonProperty("max_retries") Integer maxRetries) {

    /** Most GPUs a job can ask for. */
    public static final int MAX_GPUS = 64;
    static final Pattern GPU_TYPE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}");

    /** @return train on the CPU */
    public static Resources cpu() {
        return new Resources(0, null, null, null, Strategy.AUTO, null);
    }

    /** @param count GPUs on one node @return that many GPUs of any type */
    public static Resources gpus(int count) {
        return new Resources(count, null, null, null, Strategy.AUTO, null);
    }

    /** @return a builder with every value unset */
    public static Builder builder() {
        return new Builder();
    }

    /** @return true when the job runs on the CPU */
    @JsonIgnore
    public boolean isCpu() {
        return gpus != null && gpus == 0;
    }

    Resources resolved() {
        return gpus == null || strategy == null ? new Resources(gpus == null ? 1 : gpus, gpuType, minGpuMemoryGib,
                maxRuntimeMinutes, strategy == null ? Strategy.AUTO : strategy, maxRetries) : this;
    }

    /**
     * @param chosen the strategy the service chose for an {@link Strategy#AUTO} job
     * @return these resources with that strategy
     */
    public Resources withStrategy(Strategy chosen) {
        return new Resources(gpus, gpuType, minGpuMemoryGib, maxRuntimeMinutes, chosen, maxRetries);
    }

    void check(Checks c, String at) {
        c.between(Checks.at(at, "gpus"), gpus, 0, MAX_GPUS);
        c.matches(Checks.at(at, "gpu_type"), gpuType, GPU_TYPE,
                "1-64 letters, digits, spaces, '.', '_' or '-', starting with a letter or digit");
        c.between(Checks.at(at, "min_gpu_memory_gib"), minGpuMemoryGib, 1, 4096);
        c.between(Checks.at(at, "max_runtime_minutes"), maxRuntimeMinutes, 1, 43_200);
        c.between(Checks.at(at, "max_retries"), maxRetries, 0, 10);
        if (isCpu()) {
            if (gpuType != null) {
                c.add(Checks.at(at, "gpu_type"), "only applies when gpus is at least 1");
            }
            if (minGpuMemoryGib != null) {
                c.add(Checks.at(at, "min_gpu_memory_gib"), "only applies when gpus is at least 1");
            }
        }
    }

    /** Builder of {@link Resources}. */
    public static final class Builder {
        private Integer gpus;
        private String gpuType;
        private Integer minGpuMemoryGib;
        private Integer maxRuntimeMinutes;
        private Strategy strategy;
        private Integer maxRetries;

        private Builder() {
        }

        /** @param gpus GPUs on one node, 0 for CPU @return this */
        public Builder gpus(int gpus) {
            this.gpus = gpus;
            return this;
        }

        /** @param gpuType GPU model, for example H100 @return this */
        public Builder gpuType(String gpuType) {
            this.gpuType = gpuType;
            return this;
        }

        /** @param gib least memory per GPU in GiB @return this */
        public Builder minGpuMemoryGib(int gib) {
            this.minGpuMemoryGib = gib;
            return this;
        }

        /** @param minutes wall-clock limit @return this */
        public Builder maxRuntimeMinutes(int minutes) {
            this.maxRuntimeMinutes = minutes;
            return this;
        }

        /** @param strategy how several GPUs share the work; {@link Strategy#AUTO} by default @return this */
        public Builder strategy(Strategy strategy) {
            this.strategy = strategy;
            return this;
        }

        /** @param retries automatic retries of transient failures, 0 to 10 @return this */
        public Builder maxRetries(int retries) {
            this.maxRetries = retries;
            return this;
        }

        /** @return the resources; checked when the job spec is built */
        public Resources build() {
            return new Resources(gpus, gpuType, minGpuMemoryGib, maxRuntimeMinutes, strategy, maxRetries);
        }
    }
}
