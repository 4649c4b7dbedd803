package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonValue;

/** How a job that trains in several processes (one per GPU) shares the work. */
public enum Strategy implements WireName {
    /**
     * DDP when the model, its gradients and optimizer state fit one GPU, FSDP for a full fine-tune that does not;
     * the service decides at submit from the estimate and stores its choice on the job.
     */
    AUTO,
    /** Data parallel: every process holds the whole model and trains on its own shard of the data. */
    DDP,
    /** Fully sharded data parallel: weights, gradients and optimizer state are split across the processes. */
    FSDP;

    @JsonValue
    @Override
    public String wireName() {
        return WireName.lower(this);
    }
}
