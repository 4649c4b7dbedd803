package dev.koder.training.core.estimate;

import java.util.List;

/**
 * What a decoder's training step keeps for backward, derived op by op from the Hugging Face implementations with
 * SDPA or flash attention (linear in micro-batch x sequence: no attention matrix is kept), in bytes per token.
 * Checked against exact counts of PyTorch's saved tensors (ActivationMemoryTest in runner-trl) for the
 * Llama, Qwen2, Gemma and Phi families, full and LoRA, with and without gradient checkpointing.
 *
 * <p>Per layer, with {@code p} bytes per activation (2 in bf16), {@code h} hidden, {@code i} MLP width,
 * {@code q = heads x head_dim}, {@code kv = kv heads x head_dim}:
 * <ul>
 *   <li>RMSNorm (Llama, Qwen2, Mistral): its input in fp32 (4h) and the reciprocal root (4); for full training also
 *       the normalised activation before the weight (p h), and the product, which the next projections keep as
 *       their input (p h). Gemma keeps the normalised activation in fp32 (4h). Phi's LayerNorm keeps its input
 *       (p h) and mean and reciprocal root (2p), and its product is the projections' input (p h, full only).</li>
 *   <li>Attention: SDPA keeps q (p q), k and v (p kv each), its output (p q; the output projection's input is the
 *       same storage, except in Phi) and the log-sum-exp (4 a head).</li>
 *   <li>MLP: gated SiLU or GELU (Llama, Qwen2, Mistral, Gemma) keeps the gate's output, the activation and the up
 *       projection (p i each) and, for full training, the product as the down projection's input (p i); Phi's
 *       tanh-approximate GELU keeps four tensors of p i and, for full training, fc2's input (p i).</li>
 *   <li>LoRA (peft, adapters in fp32): a frozen projection keeps nothing, and each adapted one keeps its input cast
 *       to fp32 (4 x its input width) and the adapter's rank-r activation (4r).</li>
 * </ul>
 * With gradient checkpointing a layer keeps only its input (p h), and backward recomputes one layer at a time, so
 * the peak holds every layer's input and one layer's full set. Outside the layers: the final norm, the output
 * head's input (full), and the loss's fp32 log-probabilities (4 x vocab a token) and its targets.
 *
 * <p>Encoders (embedding models and rerankers), checked the same way (EncoderActivationMemoryTest in
 * runner-sentence-transformers) for BERT and ModernBERT:
 * <ul>
 *   <li>BERT, RoBERTa, XLM-RoBERTa, full: {@code p (10h + 2i)}, the log-sum-exp and the two LayerNorms' statistics
 *       (4p): the projections' inputs (the attention's input once for query, key and value; the attention output;
 *       the MLP's input; GELU's output), q, k, v and the attention output, GELU's input, two dropout masks, two
 *       LayerNorm inputs.</li>
 *   <li>ModernBERT, full: {@code p (10h + 4i)} and the same small terms: its fused qkv projection's output, its
 *       gated MLP's two halves, the activation and the down projection's input.</li>
 *   <li>LoRA: the full count less the frozen projections' inputs ({@code p (3h + i)}), plus the adapters' sum
 *       ({@code p h}) and each adapted projection's fp32 input and rank-r activation.</li>
 * </ul>
 * Their attention is fused on a GPU (memory-efficient SDPA also with a padding mask), keeping no seq x seq matrix.
 * Outside the layers there is no vocabulary-wide loss: the embeddings' LayerNorm and dropout (full), and the pooled
 * output; the in-batch similarity matrix of a contrastive loss is per batch, not per token (the estimate adds it).
 */
public final class ActivationMemory {

    private ActivationMemory() {
    }

    /** How a model family's layers are built, for the counts above. */
    enum Family {
        /** Llama, Qwen2, Mistral and other Llama-style decoders: RMSNorm, gated SiLU MLP. */
        LLAMA,
        /** Gemma: RMSNorm computed in fp32 with (1 + weight), gated GELU MLP. */
        GEMMA,
        /** Phi: one LayerNorm feeding attention and MLP in parallel, GELU MLP. */
        PHI,
        /** BERT, RoBERTa, XLM-RoBERTa: post-LayerNorm encoder layers with biases, GELU MLP, dropout. */
        BERT,
        /** ModernBERT: pre-LayerNorm encoder layers without biases, fused qkv, gated GELU MLP. */
        MODERNBERT;

        static Family of(String modelType) {
            return switch (modelType == null ? "" : modelType) {
                case "gemma" -> GEMMA;
                case "phi" -> PHI;
                case "bert", "roberta", "xlm-roberta" -> BERT;
                case "modernbert" -> MODERNBERT;
                default -> LLAMA;
            };
        }

        /** @return whether the family is an encoder's (no vocabulary-wide loss) */
        boolean encoder() {
            return this == BERT || this == MODERNBERT;
        }
    }

    /**
     * The activation memory of one training step.
     *
     * @param layerBytesPerToken what one layer keeps for backward, a token, without gradient checkpointing
     * @param checkpointBytesPerToken what one layer keeps a token with gradient checkpointing (its input)
     * @param restBytesPerToken what the embedding, final norm, head and loss keep a token
     */
    public record PerToken(double layerBytesPerToken, double checkpointBytesPerToken, double restBytesPerToken) {

        /**
         * @param tokens tokens in a micro-step (micro-batch x sequence; twice the pairs for DPO)
         * @param layers decoder layers
         * @param checkpointing gradient checkpointing on
         * @return bytes kept at the peak of backward
         */
        public double bytes(long tokens, int layers, boolean checkpointing) {
            double layersBytes = checkpointing ? layers * checkpointBytesPerToken + layerBytesPerToken
                    : layers * layerBytesPerToken;
            return tokens * (layersBytes + restBytesPerToken);
        }
    }

    /**
     * @param m the model's shape
     * @param lora whether a LoRA adapter is trained (else every weight is)
     * @param targets the adapter's target modules ({@code all-linear} or names)
     * @param rank the adapter's rank
     * @param bytes bytes of an activation (2 for bf16, 4 for fp32)
     * @return bytes kept a token, per layer and outside the layers
     */
    public static PerToken of(ModelShape m, boolean lora, List<String> targets, int rank, int bytes) {
        Family f = Family.of(m.family());
        double p = bytes;
        double h = m.hidden();
        double i = m.intermediate();
        double q = (double) m.heads() * m.headDim();
        double kv = (double) m.kvHeads() * m.headDim();
        double attention = p * (q + 2 * kv) + 4.0 * m.heads() + p * q;
        double layer;
        double rest;
        if (f.encoder()) {
            double full = p * (10 * h + (f == Family.BERT ? 2 : 4) * i) + 4.0 * m.heads() + 4 * p;
            if (lora) {
                layer = full - p * (3 * h + i) + p * h + adapters(m, targets, rank);
                // the embeddings' output keeps what their LayerNorm needs once gradient checkpointing asks for
                // input gradients
                rest = 2 * p * h;
            } else {
                layer = full;
                rest = (f == Family.BERT ? 3 : 1) * p * h + 48;
            }
            return new PerToken(layer, p * h, rest);
        }
        if (f == Family.PHI) {
            double norm = p * h + 2 * p;
            if (lora) {
                layer = norm + attention + 4 * p * i + adapters(m, targets, rank);
                rest = norm + 4.0 * m.vocab() + 8;
            } else {
                layer = norm + p * h + attention + p * h + 5 * p * i;
                rest = 8 + norm + p * h + 4.0 * m.vocab() + 8;
            }
        } else {
            double normIn = 4 * h + 4;
            if (lora) {
                layer = 2 * normIn + attention + 3 * p * i + adapters(m, targets, rank);
                rest = normIn + 4.0 * m.vocab() + 8;
            } else {
                double normOut = f == Family.GEMMA ? 4 * h + p * h : 2 * p * h;
                layer = 2 * (normIn + normOut) + attention + 4 * p * i;
                // The final norm's product is the output head's input.
                rest = 8 + normIn + normOut + 4.0 * m.vocab() + 8;
            }
        }
        return new PerToken(layer, p * h, rest);
    }

    /** Each adapted projection keeps its input cast to fp32 and the rank-r activation, in fp32. */
    private static double adapters(ModelShape m, List<String> targets, int rank) {
        double total = 0;
        for (long[] io : m.adapted(targets).values()) {
            total += 4.0 * io[0] + 4.0 * rank;
        }
        return total;
    }
}
