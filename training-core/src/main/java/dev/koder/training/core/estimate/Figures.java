package dev.koder.training.core.estimate;

import dev.koder.training.api.CostEstimate;

/**
 * The arithmetic of one estimate, before any of it is worded: what {@link Estimator} computes and {@link Breakdown}
 * explains. Tests read these figures instead of the breakdown's text.
 *
 * @param examples examples an epoch
 * @param tokensExact whether tokens were counted with the model's tokenizer (else approximately)
 * @param sequences sequences an epoch (an example's: DPO's chosen and rejected, an embedding example's texts)
 * @param sequencesPerExample sequences an example
 * @param templateTokens tokens a chat template (or an encoder's special tokens) adds to an epoch
 * @param tokensPerEpoch tokens an epoch trains, within max_seq_length, the template's included
 * @param tokensPerSequence their mean a sequence
 * @param sequencesPerStep sequences a step (with max_steps; else 0)
 * @param tokens tokens the whole job trains
 * @param micro what a language model's micro-steps hold on one GPU, or null for an encoder
 * @param histogram whether micro-steps were worked out from the data's length histogram (else every sequence at the
 *     mean)
 * @param groupedPairs whether DPO pairs are grouped by length
 * @param trainable the parameters trained
 * @param flopsPerToken FLOPs a token in multiples of the parameters (4-6 N, with recomputation and a reference forward)
 * @param flops the job's FLOPs
 * @param throughput tokens a second on one GPU and what that rests on
 * @param scaling data-parallel efficiency of the job's GPUs (1 on one)
 * @param tokensPerSecond over all the job's GPUs
 * @param device the device the figures are for
 * @param deviceNamed whether the job's GPU was named (else the figures are for the reference GPU or the CPU)
 * @param startSeconds seconds before the model loads
 * @param loadSeconds seconds to start and load the model
 * @param trainSeconds seconds of training
 * @param wallSeconds the job's wall time
 * @param gpuHours GPUs x wall time (0 on a CPU)
 * @param rate price of a GPU-hour, or null when none is set
 * @param price the job's price, or null
 * @param chunkedLoss whether the loss projects a chunk of tokens to the vocabulary at a time
 * @param memory peak memory term by term (after any correction)
 * @param memoryCorrection the median measured / estimated peak of similar finished jobs it was raised by, or null
 * @param memoryCorrectionJobs how many jobs that median is of (0 when none)
 * @param limitGib the memory planned against, or null when unknown
 * @param fits whether the peak fits that memory (true when unknown)
 */
record Figures(long examples, boolean tokensExact, long sequences, double sequencesPerExample, long templateTokens,
        long tokensPerEpoch, double tokensPerSequence, long sequencesPerStep, long tokens,
        Batching.MicroSteps micro, boolean histogram, boolean groupedPairs, long trainable, double flopsPerToken,
        double flops, Throughput throughput, double scaling, double tokensPerSecond, String device,
        boolean deviceNamed, double startSeconds, double loadSeconds, double trainSeconds, double wallSeconds,
        double gpuHours, Double rate, Double price, boolean chunkedLoss, CostEstimate.MemoryEstimate memory,
        Double memoryCorrection, int memoryCorrectionJobs, Double limitGib, boolean fits) {
}
