package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Size of a dataset.
 *
 * @param examples valid examples (lines)
 * @param messages messages over all examples (a prompt-completion pair counts as two)
 * @param characters characters of text over all messages
 * @param tokens tokens over all examples, exact or approximate as {@link #tokensExact()} says
 * @param tokensExact true when counted with the base model's tokenizer.json; false for the estimate of
 *     about four characters a token
 * @param maxExampleTokens tokens of the longest example
 * @param overLength examples longer than the maximum sequence length (truncated in training)
 * @param sequences sequences the trainer sees (one per example; two per preference pair)
 * @param tokensWithinMaxLength tokens of those sequences once each is cut at the maximum sequence length
 * @param lengthHistogram how long those sequences are, or null where not counted (figures from an older version)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DatasetStats(
        @JsonProperty("examples") long examples,
        @JsonProperty("messages") long messages,
        @JsonProperty("characters") long characters,
        @JsonProperty("tokens") long tokens,
        @JsonProperty("tokens_exact") boolean tokensExact,
        @JsonProperty("max_example_tokens") long maxExampleTokens,
        @JsonProperty("over_length") long overLength,
        @JsonProperty("sequences") long sequences,
        @JsonProperty("tokens_within_max_length") long tokensWithinMaxLength,
        @JsonProperty("length_histogram") LengthHistogram lengthHistogram) {

    /** Figures without a length histogram. */
    public DatasetStats(long examples, long messages, long characters, long tokens, boolean tokensExact,
            long maxExampleTokens, long overLength, long sequences, long tokensWithinMaxLength) {
        this(examples, messages, characters, tokens, tokensExact, maxExampleTokens, overLength, sequences,
                tokensWithinMaxLength, null);
    }
}
