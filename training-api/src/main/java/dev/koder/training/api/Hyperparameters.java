package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Optimisation settings. Any value left null takes its default when the {@link JobSpec} is built (the
 * learning rate's default depends on the method, the batch arithmetic on the GPU count); after that every
 * value but one of epochs/max steps and one of warm-up ratio/steps is set.
 *
 * <p>Batch arithmetic: {@code batch_size = micro_batch_size x gradient_accumulation_steps x GPUs}. Give
 * either batch size or accumulation steps (or neither: accumulation 1); the other is derived.
 *
 * @param epochs passes over the training data, 1 to 100; default 3 unless max steps is set
 * @param maxSteps optimiser steps to run instead of epochs, 1 to 10,000,000
 * @param learningRate peak learning rate, greater than 0 and at most 1; default 2e-4 for LoRA/QLoRA SFT,
 *     1e-5 for full SFT, 5e-6 for DPO with an adapter, 1e-6 for full DPO, 1e-4 for LoRA and 2e-5 for full
 *     embedding and reranker jobs
 * @param scheduler learning-rate schedule; default cosine
 * @param warmupRatio share of steps spent warming up, at least 0 and below 1; default 0.03 unless warm-up steps
 *     is set
 * @param warmupSteps warm-up steps, 0 to 1,000,000
 * @param batchSize examples per optimiser step over all GPUs, 1 to 65,536
 * @param microBatchSize examples per forward pass on one GPU, 1 to 4,096, or {@link #AUTO} ({@code "auto"} in JSON: the
 *     largest that fits its GPU, chosen when the job is admitted, with batch_size kept through accumulation); default 4
 *     (with micro_batch_tokens: the largest up to 4 that divides the batch; it is what a runner that counts
 *     micro-steps in examples trains with, and the evaluation's batch)
 * @param microBatchTokens SFT and DPO: cut each optimiser step's examples into micro-steps of at most this many
 *     padded tokens on one GPU (rows x the longest of them; a DPO pair is two rows, its chosen and its rejected, each
 *     as wide as the longer), examples of similar length grouped into the same steps; {@code max_seq_length} (DPO:
 *     twice it) to 16,777,216, or {@link #AUTO} ({@code "auto"} in JSON: the largest that fits its GPU, chosen when
 *     the job is admitted). The default for SFT and DPO when neither micro_batch_size nor
 *     gradient_accumulation_steps is given (and packing is off): auto. A runner that cannot cut micro-steps by tokens
 *     trains auto with micro_batch_size examples, and refuses a number
 * @param gradientAccumulationSteps micro-batches per optimiser step, 1 to 4,096
 * @param maxSeqLength tokens per example after which it is truncated, 16 to 1,048,576; default 2048
 * @param weightDecay AdamW weight decay, 0 to 1; default 0
 * @param maxGradNorm gradient clipping norm, greater than 0 and at most 1000; default 1
 * @param seed random seed, 0 to 2,147,483,647; default 42
 * @param gradientCheckpointing recompute activations to save memory; null means auto ({@code "auto"} in JSON, the
 *     default): off when the job fits its GPU with a safety margin without it, on otherwise, chosen when the job is
 *     admitted
 * @param packing pack several short examples into one sequence (SFT only); default false
 * @param precision training precision; default auto
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Hyperparameters(
        @JsonProperty("epochs") Integer epochs,
        @JsonProperty("max_steps") Integer maxSteps,
        @JsonProperty("learning_rate") Double learningRate,
        @JsonProperty("scheduler") Scheduler scheduler,
        @JsonProperty("warmup_ratio") Double warmupRatio,
        @JsonProperty("warmup_steps") Integer warmupSteps,
        @JsonProperty("batch_size") Integer batchSize,
        @JsonProperty("micro_batch_size") Integer microBatchSize,
        @JsonProperty("micro_batch_tokens") Integer microBatchTokens,
        @JsonProperty("gradient_accumulation_steps") Integer gradientAccumulationSteps,
        @JsonProperty("max_seq_length") Integer maxSeqLength,
        @JsonProperty("weight_decay") Double weightDecay,
        @JsonProperty("max_grad_norm") Double maxGradNorm,
        @JsonProperty("seed") Integer seed,
        @JsonProperty("gradient_checkpointing") Boolean gradientCheckpointing,
        @JsonProperty("packing") Boolean packing,
        @JsonProperty("precision") Precision precision) {

    /** Most epochs. */
    public static final int MAX_EPOCHS = 100;
    /** Most optimiser steps. */
    public static final int MAX_STEPS = 10_000_000;
    /** Shortest accepted maximum sequence length. */
    public static final int MIN_SEQ_LENGTH = 16;
    /** Longest accepted maximum sequence length. */
    public static final int MAX_SEQ_LENGTH = 1_048_576;
    /** The micro-batch size (or token budget) that means auto: the largest that fits, chosen when the job is admitted. */
    public static final int AUTO = 0;
    /** Most padded tokens a micro-step may be given. */
    public static final int MAX_MICRO_BATCH_TOKENS = 16_777_216;
    /** The micro-batch size of the default recipe, and of a token budget's fallback to examples. */
    public static final int DEFAULT_MICRO_BATCH = 4;

    /** @return whether micro-steps are cut by tokens (a budget, or auto), not counted in examples */
    public boolean tokenMicroSteps() {
        return microBatchTokens != null;
    }

    /** @return whether the token budget is left to admission ({@link #AUTO}) */
    public boolean autoMicroBatchTokens() {
        return microBatchTokens != null && microBatchTokens == AUTO;
    }

    /** @return whether the micro-batch size is left to admission ({@link #AUTO}) */
    public boolean autoMicroBatch() {
        return microBatchSize != null && microBatchSize == AUTO;
    }

    /** @return whether gradient checkpointing is left to admission (null: auto) */
    public boolean autoGradientCheckpointing() {
        return gradientCheckpointing == null;
    }

    /** @return a builder with every value unset (defaults apply) */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder holding these values */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.epochs = epochs;
        b.maxSteps = maxSteps;
        b.learningRate = learningRate;
        b.scheduler = scheduler;
        b.warmupRatio = warmupRatio;
        b.warmupSteps = warmupSteps;
        b.batchSize = batchSize;
        b.microBatchSize = microBatchSize;
        b.microBatchTokens = microBatchTokens;
        b.gradientAccumulationSteps = gradientAccumulationSteps;
        b.maxSeqLength = maxSeqLength;
        b.weightDecay = weightDecay;
        b.maxGradNorm = maxGradNorm;
        b.seed = seed;
        b.gradientCheckpointing = gradientCheckpointing;
        b.packing = packing;
        b.precision = precision;
        return b;
    }

    /** @param method the resolved method @return the learning rate used when none is given */
    public static double defaultLearningRate(TrainingMethod method) {
        boolean full = method.adapter() == AdapterType.FULL;
        if (method.objective() == Objective.DPO) {
            return full ? 1e-6 : 5e-6;
        }
        if (!method.objective().languageModel()) {
            return full ? 2e-5 : 1e-4;
        }
        return full ? 1e-5 : 2e-4;
    }

    void check(Checks c, String at, TrainingMethod method, int gpus) {
        c.between(Checks.at(at, "epochs"), epochs, 1, MAX_EPOCHS);
        c.between(Checks.at(at, "max_steps"), maxSteps, 1, MAX_STEPS);
        if (epochs != null && maxSteps != null) {
            c.add(Checks.at(at, "max_steps"), "set either epochs or max_steps, not both");
        }
        c.between(Checks.at(at, "learning_rate"), learningRate, 0, true, 1, false);
        c.between(Checks.at(at, "warmup_ratio"), warmupRatio, 0, false, 1, true);
        c.between(Checks.at(at, "warmup_steps"), warmupSteps, 0, 1_000_000);
        if (warmupRatio != null && warmupSteps != null) {
            c.add(Checks.at(at, "warmup_steps"), "set either warmup_ratio or warmup_steps, not both");
        }
        c.between(Checks.at(at, "batch_size"), batchSize, 1, 65_536);
        if (!autoMicroBatch()) {
            c.between(Checks.at(at, "micro_batch_size"), microBatchSize, 1, 4_096);
        } else if (gradientAccumulationSteps != null) {
            c.add(Checks.at(at, "gradient_accumulation_steps"), "set either micro_batch_size auto or "
                    + "gradient_accumulation_steps, not both: auto keeps batch_size and derives the accumulation");
        }
        c.between(Checks.at(at, "gradient_accumulation_steps"), gradientAccumulationSteps, 1, 4_096);
        c.between(Checks.at(at, "max_seq_length"), maxSeqLength, MIN_SEQ_LENGTH, MAX_SEQ_LENGTH);
        checkTokens(c, at, method);
        c.between(Checks.at(at, "weight_decay"), weightDecay, 0, false, 1, false);
        c.between(Checks.at(at, "max_grad_norm"), maxGradNorm, 0, true, 1000, false);
        c.between(Checks.at(at, "seed"), seed, 0, Integer.MAX_VALUE);
        checkBatch(c, at, gpus);
        if (Boolean.TRUE.equals(packing) && method != null && method.objective() != null
                && method.objective() != Objective.SFT) {
            c.add(Checks.at(at, "packing"), "only applies to objective sft, got " + method.objective().wireName());
        }
        if (precision == Precision.FP16 && gpus == 0) {
            c.add(Checks.at(at, "precision"), "fp16 needs a GPU; use auto, bf16 or fp32 on CPU");
        }
    }

    private void checkTokens(Checks c, String at, TrainingMethod method) {
        if (microBatchTokens == null) {
            return;
        }
        String where = Checks.at(at, "micro_batch_tokens");
        int seq = maxSeqLength == null ? 2048 : maxSeqLength;
        boolean pairs = method != null && method.objective() == Objective.DPO;
        if (!autoMicroBatchTokens()) {
            if (microBatchTokens < MIN_SEQ_LENGTH || microBatchTokens > MAX_MICRO_BATCH_TOKENS) {
                c.add(where, "must be between " + MIN_SEQ_LENGTH + " and " + MAX_MICRO_BATCH_TOKENS + " or \"auto\", got "
                        + microBatchTokens);
            } else if (pairs && microBatchTokens < 2L * seq) {
                c.add(where, "must be at least twice max_seq_length " + seq + " for DPO, so that the longest pair (its "
                        + "chosen and rejected rows) fits one micro-step, got " + microBatchTokens);
            } else if (microBatchTokens < seq) {
                c.add(where, "must be at least max_seq_length " + seq + ", so that the longest example fits one "
                        + "micro-step, got " + microBatchTokens);
            }
        }
        if (autoMicroBatch()) {
            c.add(where, "set either micro_batch_size auto or micro_batch_tokens: both leave a micro-step's size to "
                    + "admission");
        }
        if (gradientAccumulationSteps != null && microBatchSize == null) {
            c.add(Checks.at(at, "gradient_accumulation_steps"), "micro-steps by tokens are cut from each step's "
                    + "examples, so their count is not set: give batch_size (and micro_batch_size only for a runner "
                    + "that counts micro-steps in examples)");
        }
        if (Boolean.TRUE.equals(packing)) {
            c.add(where, "set either packing or micro_batch_tokens, not both");
        }
        if (method != null && method.objective() != null && !tokenObjective(method.objective())) {
            c.add(where, "only applies to objectives sft and dpo (encoder batches are counted in examples), got "
                    + method.objective().wireName());
        }
    }

    /** @return whether micro-steps of the objective can be cut by tokens: SFT's examples and DPO's pairs */
    private static boolean tokenObjective(Objective objective) {
        return objective == Objective.SFT || objective == Objective.DPO;
    }

    private void checkBatch(Checks c, String at, int gpus) {
        int dp = Math.max(1, gpus);
        if (autoMicroBatch() || (microBatchTokens != null && microBatchSize == null)) {
            if (batchSize != null && batchSize % dp != 0) {
                c.add(Checks.at(at, "batch_size"), "must be a multiple of the GPU count " + dp + " with "
                        + (autoMicroBatch() ? "micro_batch_size auto" : "micro_batch_tokens") + ", got " + batchSize);
            }
            return;
        }
        int micro = microBatchSize == null ? 4 : microBatchSize;
        if (micro < 1 || (batchSize != null && batchSize < 1)
                || (gradientAccumulationSteps != null && gradientAccumulationSteps < 1)) {
            return;
        }
        String sum = "micro_batch_size x GPUs = " + micro + " x " + dp;
        if (batchSize != null && batchSize % (micro * dp) != 0) {
            c.add(Checks.at(at, "batch_size"), "must be a multiple of " + sum + " = " + micro * dp
                    + ", got " + batchSize);
        } else if (batchSize != null && gradientAccumulationSteps != null
                && batchSize != micro * dp * gradientAccumulationSteps) {
            c.add(Checks.at(at, "gradient_accumulation_steps"), "must be " + batchSize / (micro * dp)
                    + " for batch_size " + batchSize + " with " + sum + ", got " + gradientAccumulationSteps);
        }
    }

    Hyperparameters resolved(TrainingMethod method, int gpus) {
        int dp = Math.max(1, gpus);
        boolean auto = autoMicroBatch();
        Integer tokens = microBatchTokens;
        if (tokens == null && microBatchSize == null && gradientAccumulationSteps == null && !Boolean.TRUE.equals(packing)
                && method != null && tokenObjective(method.objective())) {
            tokens = AUTO;
        }
        int micro = microBatchSize == null ? DEFAULT_MICRO_BATCH : microBatchSize;
        Integer accumulation;
        int batch;
        if (tokens != null) {
            // The step's examples are cut by tokens; the micro-batch and accumulation kept are the examples a runner
            // without token micro-steps trains with: the default's 4, or the largest below it that divides the batch.
            batch = batchSize != null ? batchSize : DEFAULT_MICRO_BATCH * dp;
            int perGpu = Math.max(1, batch / dp);
            if (microBatchSize == null) {
                micro = Math.min(DEFAULT_MICRO_BATCH, perGpu);
                while (perGpu % micro != 0) {
                    micro--;
                }
            }
            accumulation = gradientAccumulationSteps != null ? gradientAccumulationSteps : Math.max(1, perGpu / micro);
        } else {
            // Auto keeps the batch (given, else what the default micro-batch of 4 would make); admission sets the
            // micro-batch and the accumulation.
            accumulation = auto ? null : gradientAccumulationSteps != null ? gradientAccumulationSteps
                    : batchSize != null ? Math.max(1, batchSize / (micro * dp)) : 1;
            batch = batchSize != null ? batchSize : auto ? DEFAULT_MICRO_BATCH * dp : micro * dp * accumulation;
        }
        return new Hyperparameters(
                epochs == null && maxSteps == null ? Integer.valueOf(3) : epochs,
                maxSteps,
                learningRate == null ? defaultLearningRate(method) : learningRate,
                scheduler == null ? Scheduler.COSINE : scheduler,
                warmupRatio == null && warmupSteps == null ? Double.valueOf(0.03) : warmupRatio,
                warmupSteps,
                batch, micro, tokens, accumulation,
                maxSeqLength == null ? Integer.valueOf(2048) : maxSeqLength,
                weightDecay == null ? Double.valueOf(0.0) : weightDecay,
                maxGradNorm == null ? Double.valueOf(1.0) : maxGradNorm,
                seed == null ? Integer.valueOf(42) : seed,
                gradientCheckpointing,
                packing == null ? Boolean.FALSE : packing,
                precision == null ? Precision.AUTO : precision);
    }

    /** Builder of {@link Hyperparameters}; unset values take their defaults when the spec is built. */
    public static final class Builder {
        private Integer epochs;
        private Integer maxSteps;
        private Double learningRate;
        private Scheduler scheduler;
        private Double warmupRatio;
        private Integer warmupSteps;
        private Integer batchSize;
        private Integer microBatchSize;
        private Integer microBatchTokens;
        private Integer gradientAccumulationSteps;
        private Integer maxSeqLength;
        private Double weightDecay;
        private Double maxGradNorm;
        private Integer seed;
        private Boolean gradientCheckpointing;
        private Boolean packing;
        private Precision precision;

        private Builder() {
        }

        /** @param epochs passes over the data, 1 to 100 @return this */
        public Builder epochs(int epochs) {
            this.epochs = epochs;
            return this;
        }

        /** @param maxSteps optimiser steps instead of epochs @return this */
        public Builder maxSteps(int maxSteps) {
            this.maxSteps = maxSteps;
            return this;
        }

        /** @param learningRate peak learning rate, (0, 1] @return this */
        public Builder learningRate(double learningRate) {
            this.learningRate = learningRate;
            return this;
        }

        /** @param scheduler learning-rate schedule @return this */
        public Builder scheduler(Scheduler scheduler) {
            this.scheduler = scheduler;
            return this;
        }

        /** @param warmupRatio share of steps warming up, [0, 1) @return this */
        public Builder warmupRatio(double warmupRatio) {
            this.warmupRatio = warmupRatio;
            return this;
        }

        /** @param warmupSteps warm-up steps @return this */
        public Builder warmupSteps(int warmupSteps) {
            this.warmupSteps = warmupSteps;
            return this;
        }

        /** @param batchSize examples per optimiser step over all GPUs @return this */
        public Builder batchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /** @return this, with the largest micro-batch that fits chosen at admission ({@link #AUTO}) */
        public Builder microBatchSizeAuto() {
            this.microBatchSize = AUTO;
            return this;
        }

        /** @param microBatchSize examples per forward pass per GPU @return this */
        public Builder microBatchSize(int microBatchSize) {
            this.microBatchSize = microBatchSize;
            return this;
        }

        /**
         * @param tokens SFT: padded tokens a micro-step may hold on one GPU, at least max_seq_length; each step's
         *     examples are cut into micro-steps by length
         * @return this
         */
        public Builder microBatchTokens(int tokens) {
            this.microBatchTokens = tokens;
            return this;
        }

        /** @return this, with the token budget of a micro-step chosen at admission by memory ({@link #AUTO}) */
        public Builder microBatchTokensAuto() {
            this.microBatchTokens = AUTO;
            return this;
        }

        /** @return this, with micro-steps counted in examples (micro_batch_size), not cut by tokens */
        public Builder microBatchesOfExamples() {
            this.microBatchTokens = null;
            return this;
        }

        /** @param steps micro-batches per optimiser step @return this */
        public Builder gradientAccumulationSteps(int steps) {
            this.gradientAccumulationSteps = steps;
            return this;
        }

        /** @param maxSeqLength tokens per example before truncation @return this */
        public Builder maxSeqLength(int maxSeqLength) {
            this.maxSeqLength = maxSeqLength;
            return this;
        }

        /** @param weightDecay AdamW weight decay, [0, 1] @return this */
        public Builder weightDecay(double weightDecay) {
            this.weightDecay = weightDecay;
            return this;
        }

        /** @param maxGradNorm gradient clipping norm @return this */
        public Builder maxGradNorm(double maxGradNorm) {
            this.maxGradNorm = maxGradNorm;
            return this;
        }

        /** @param seed random seed @return this */
        public Builder seed(int seed) {
            this.seed = seed;
            return this;
        }

        /** @return this, with gradient checkpointing decided at admission by memory (the default) */
        public Builder gradientCheckpointingAuto() {
            this.gradientCheckpointing = null;
            return this;
        }

        /** @param on recompute activations in backward (the default, auto, decides by memory) @return this */
        public Builder gradientCheckpointing(boolean on) {
            this.gradientCheckpointing = on;
            return this;
        }

        /** @param on pack short examples together (SFT only) @return this */
        public Builder packing(boolean on) {
            this.packing = on;
            return this;
        }

        /** @param precision training precision @return this */
        public Builder precision(Precision precision) {
            this.precision = precision;
            return this;
        }

        /** @return the settings; checked when the job spec is built */
        public Hyperparameters build() {
            return new Hyperparameters(epochs, maxSteps, learningRate, scheduler, warmupRatio, warmupSteps,
                    batchSize, microBatchSize, microBatchTokens, gradientAccumulationSteps, maxSeqLength, weightDecay,
                    maxGradNorm,
                    seed, gradientCheckpointing, packing, precision);
        }
    }
}
