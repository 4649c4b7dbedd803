package dev.koder.training.core.estimate;

import dev.koder.training.api.AdapterType;
import dev.koder.training.api.CostEstimate;
import dev.koder.training.api.EmbeddingConfig;
import dev.koder.training.api.EmbeddingLoss;
import dev.koder.training.api.Hyperparameters;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.Objective;
import dev.koder.training.api.Precision;
import dev.koder.training.api.Strategy;
import java.util.Locale;
import java.util.List;

/**
 * A job's peak memory on each GPU (or the host), term by term: weights, gradients, optimizer state, what the layers
 * and the loss keep for backward (ActivationMemory), a DPO reference, and the allocator's overhead, with FSDP's
 * shards and DDP's buckets; the labels the breakdown gives them.
 */
final class PeakMemory {

    private static final double GIB = Estimator.GIB;

    private PeakMemory() {
    }

    /** Tokens TRL's SFT loss projects to the vocabulary at a time (its default loss, chunked_nll, since TRL 1.x). */
    static final int LOSS_CHUNK = 256;

    /**
     * @return whether the job's loss runs in chunks of {@link #LOSS_CHUNK} tokens, so the vocabulary-wide logits of the
     *     whole micro-batch never exist at once: TRL's SFT does (measured on an H200: a 0.5B model with a 151,936-token
     *     vocabulary peaked at 2.5 GiB, below its own micro-batch's bf16 logits); its DPO and the other runners do not
     */
    static boolean chunkedLoss(JobSpec spec, String runner) {
        return "trl".equals(runner) && spec.method().objective() == Objective.SFT;
    }

    /** @return the parameters the job trains: all of them, or its LoRA adapter's */
    static long trainable(JobSpec spec, ModelShape model) {
        return spec.method().adapter() == AdapterType.FULL ? model.parameters()
                : model.loraParameters(spec.method().lora().rank(), spec.method().lora().targetModules());
    }

    /**
     * @return the sequences whose activations a micro-step keeps at once: the micro-batch's examples times their
     *     sequences (DPO's chosen and rejected; an embedding example's texts; a group's documents), or with the
     *     cached contrastive loss the mini-batch it embeds at a time
     */
    static long activationSequences(JobSpec spec, double sequencesPerExample) {
        long all = Math.max(1, Math.round(spec.hyperparameters().microBatchSize() * sequencesPerExample));
        EmbeddingConfig e = spec.method().embedding();
        if (spec.method().objective() == Objective.EMBEDDING && e != null
                && e.loss() == EmbeddingLoss.CACHED_MULTIPLE_NEGATIVES_RANKING && e.miniBatchSize() != null) {
            return Math.min(all, e.miniBatchSize());
        }
        return all;
    }

    /**
     * The bytes of a contrastive loss's in-batch similarity matrix: every query of the micro-batch against every
     * positive and hard negative of it, in fp32, with its log-softmax and gradient (three matrices), once for each
     * Matryoshka size; none for a reranker, whose loss holds one score a pair.
     */
    static double similarityBytes(JobSpec spec, double sequencesPerExample) {
        if (spec.method().objective() != Objective.EMBEDDING) {
            return 0;
        }
        double queries = spec.hyperparameters().microBatchSize();
        double documents = queries * Math.max(1, sequencesPerExample - 1);
        return 3 * 4.0 * queries * documents * matryoshkaSizes(spec);
    }

    /** @return how many times a contrastive loss runs: once, or once for each Matryoshka size */
    private static int matryoshkaSizes(JobSpec spec) {
        EmbeddingConfig e = spec.method().embedding();
        return e == null || e.matryoshkaDims() == null || e.matryoshkaDims().isEmpty() ? 1 : e.matryoshkaDims().size();
    }

    static String similarityLabel(JobSpec spec, double sequencesPerExample) {
        if (spec.method().objective() != Objective.EMBEDDING) {
            return "a reranker's loss holds one score a pair";
        }
        long queries = spec.hyperparameters().microBatchSize();
        int sizes = matryoshkaSizes(spec);
        return String.format(Locale.ROOT, "%d queries x %d documents in fp32, scores, log-softmax and gradient%s",
                queries, Math.round(queries * Math.max(1, sequencesPerExample - 1)), sizes > 1
                        ? " x " + sizes + " Matryoshka sizes" : "");
    }

    static CostEstimate.MemoryEstimate of(JobSpec spec, ModelShape m, long trainable, boolean cpu, boolean chunkedLoss,
            double sequencesPerExample) {
        Hyperparameters h = spec.hyperparameters();
        int bytes = bytesPerParam(spec, cpu);
        boolean dpo = spec.method().objective() == Objective.DPO;
        double weights;
        if (spec.method().adapter() == AdapterType.QLORA) {
            long embeddings = m.embeddingParameters();
            weights = ((m.parameters() - embeddings) * 0.55 + embeddings * 2.0) / GIB;
        } else {
            weights = m.parameters() * (double) bytes / GIB;
        }
        double gradients = trainable * (double) bytes / GIB;
        double optimizer = 2.0 * trainable * bytes / GIB;
        // What the layers and the loss keep for backward, derived op by op (ActivationMemory): DPO's policy runs
        // chosen and rejected, twice the sequences; the reference runs without gradients and keeps nothing.
        boolean lora = spec.method().adapter() != AdapterType.FULL;
        ActivationMemory.PerToken per = ActivationMemory.of(m, lora, lora ? spec.method().lora().targetModules()
                : List.of(), lora ? spec.method().lora().rank() : 0, bytes);
        boolean encoder = !spec.method().objective().languageModel();
        long tokens = h.tokenMicroSteps() ? Math.max(h.maxSeqLength(), h.microBatchTokens())
                : (encoder ? activationSequences(spec, sequencesPerExample) : (long) h.microBatchSize()
                * (dpo ? 2 : 1)) * h.maxSeqLength();
        double saved = per.bytes(tokens, m.layers(), h.gradientCheckpointing());
        double activations = (saved - tokens * per.restBytesPerToken()) / GIB;
        double logits;
        if (encoder) {
            // No vocabulary-wide loss (a decoder-based embedding model's head is not used): what stays outside the
            // layers, and the contrastive loss's similarity matrix.
            double outside = per.restBytesPerToken() - (m.encoder() ? 0 : 4.0 * m.vocab());
            logits = (tokens * outside + similarityBytes(spec, sequencesPerExample)) / GIB;
        } else {
            // The loss keeps fp32 log-probabilities of the whole vocabulary (in restBytesPerToken); its backward
            // then makes their gradient in fp32 and casts it to the logits' dtype while they are still held.
            double vocabulary = (4.0 + 4.0 + bytes) * m.vocab();
            long lossTokens = chunkedLoss ? Math.min(tokens, LOSS_CHUNK) : tokens;
            logits = (tokens * (per.restBytesPerToken() - 4.0 * m.vocab()) + lossTokens * vocabulary) / GIB;
        }
        double reference = dpo && spec.method().adapter() == AdapterType.FULL ? weights : 0;
        // Allocator reserve and kernel workspaces (the CUDA context is outside PyTorch's own peak).
        double overhead = cpu ? 0.5 : 0.75;
        int world = Math.max(1, spec.resources().gpus());
        if (world > 1 && spec.resources().strategy() == Strategy.FSDP) {
            // Each GPU keeps its shard of the weights, gradients and optimizer state (and of the frozen reference),
            // and gathers one decoder layer's full weights at a time, two with prefetching.
            double layer = weights / Math.max(1, m.layers());
            weights = weights / world + 2 * layer;
            gradients /= world;
            optimizer /= world;
            reference /= world;
        } else if (world > 1) {
            // DDP copies the gradients into its own buckets for the all-reduce; they stay for the whole run.
            overhead += gradients;
        }
        // Gradients appear during backward as the activations go (the trainer frees them between steps), so the
        // peak is the larger of the two, on top of what stays: weights, optimizer states, the reference.
        double total = weights + optimizer + reference + Math.max(activations + logits, gradients) + overhead;
        return new CostEstimate.MemoryEstimate(weights, gradients, optimizer, activations, logits, reference, overhead,
                total);
    }

    static CostEstimate.MemoryEstimate scaled(CostEstimate.MemoryEstimate m, double f) {
        return new CostEstimate.MemoryEstimate(m.weights() * f, m.gradients() * f, m.optimizer() * f,
                m.activations() * f, m.logits() * f, m.reference() * f, m.overhead() * f, m.total() * f);
    }

    static String weightLabel(JobSpec spec, boolean cpu) {
        if (spec.method().adapter() == AdapterType.QLORA) {
            return spec.method().quantization().type().wireName() + " 4-bit, embeddings 16-bit";
        }
        return bytesPerParam(spec, cpu) == 4 ? "fp32" : "bf16";
    }

    static int bytesPerParam(JobSpec spec, boolean cpu) {
        Precision p = spec.hyperparameters().precision();
        if (p == Precision.FP32 || (p == Precision.AUTO && cpu)) {
            return 4;
        }
        return 2;
    }

}
