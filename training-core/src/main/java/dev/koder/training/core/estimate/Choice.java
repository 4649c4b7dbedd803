package dev.koder.training.core.estimate;

import dev.koder.training.api.Strategy;

/**
 * One value the recipe search chose for a spec's auto setting, as the figures it rested on. {@link Breakdown} words
 * it; tests read the figures.
 */
sealed interface Choice {

    /** Why a job on several GPUs got the strategy it got. */
    enum StrategyReason {
        /** The GPU's memory is unknown, so nothing shows the model needs sharding: DDP. */
        MEMORY_UNKNOWN,
        /** Weights, gradients and optimizer state fit one GPU: DDP. */
        FITS_ONE_GPU,
        /** An adapter trains few weights and its frozen base is not sharded: DDP. */
        ADAPTER,
        /** A full fine-tune's state does not fit one GPU: FSDP. */
        SHARDED
    }

    /**
     * @param strategy DDP or FSDP
     * @param reason why
     * @param stateGib weights, gradients, optimizer state and a full DPO's reference on one GPU, unsharded
     * @param limitGib the GPU's memory, or null when unknown
     * @param gpus the job's GPUs
     */
    record StrategyChoice(Strategy strategy, StrategyReason reason, double stateGib, Double limitGib, int gpus)
            implements Choice {
    }

    /**
     * Gradient checkpointing auto on a GPU of known memory.
     *
     * @param on whether it was turned on
     * @param peakWithoutGib the estimated peak without it, at the chosen micro-step
     * @param limitGib the GPU's memory
     * @param speedup how much faster a step is without recomputation (the calibration's factor)
     */
    record Checkpointing(boolean on, double peakWithoutGib, double limitGib, double speedup) implements Choice {
    }

    /** Gradient checkpointing auto on a CPU: off, recomputation only costs time there. */
    record CpuCheckpointingOff() implements Choice {
    }

    /**
     * Micro-batch auto: the fastest that fits.
     *
     * @param micro examples a micro-step
     * @param accumulation micro-steps a step
     * @param batch examples a step
     * @param limitGib the GPU's memory
     * @param larger the next larger micro-batch tried, or null when this was the largest
     * @param largerGib the peak the larger one would need, or null
     */
    record MicroBatch(int micro, int accumulation, int batch, double limitGib, Integer larger, Double largerGib)
            implements Choice {
    }

    /**
     * A token budget auto: the largest that fits.
     *
     * @param budget tokens a micro-step holds at most, padding included
     * @param examples examples a step on one GPU, grouped by length
     * @param pairs whether the examples are DPO pairs (two rows each)
     * @param limitGib the GPU's memory
     * @param larger the next larger budget tried, or null when this was the largest
     * @param largerGib the peak the larger one would need, or null
     */
    record TokenBudget(int budget, int examples, boolean pairs, double limitGib, Integer larger, Double largerGib)
            implements Choice {
    }
}
