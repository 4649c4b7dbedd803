package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * How long a dataset's sequences are, in tokens of their text (what the estimate adds for a chat template is not in
 * it), each cut at the maximum sequence length: bucket {@code i} counts the sequences of {@code i * bucketTokens} to
 * {@code (i + 1) * bucketTokens - 1} tokens. The estimate reads the padding of a job's micro-steps from it.
 *
 * @param bucketTokens the width of a bucket in tokens, at least 1
 * @param counts sequences in each bucket, from the shortest
 */
public record LengthHistogram(
        @JsonProperty("bucket_tokens") int bucketTokens,
        @JsonProperty("counts") List<Long> counts) {

    /** The most buckets a histogram has. */
    public static final int MAX_BUCKETS = 256;

    /** Copies the counts so the record stays immutable. */
    public LengthHistogram {
        if (bucketTokens < 1) {
            throw new IllegalArgumentException("bucket_tokens must be at least 1, got " + bucketTokens);
        }
        counts = List.copyOf(counts);
    }

    /** @param maxSeqLength the longest a sequence is counted @return the bucket width for that limit */
    public static int bucketWidth(int maxSeqLength) {
        return Math.max(1, (maxSeqLength + MAX_BUCKETS - 1) / MAX_BUCKETS);
    }

    /** @return the sequences counted */
    public long total() {
        long n = 0;
        for (long c : counts) {
            n += c;
        }
        return n;
    }
}
