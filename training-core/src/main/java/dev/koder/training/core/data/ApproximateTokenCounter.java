package dev.koder.training.core.data;

/**
 * Estimates tokens as one per four characters (rounded up), the usual rule of thumb for English text with
 * BPE tokenizers. Used when the base model has no local tokenizer.json; reports say the counts are
 * approximate.
 */
public final class ApproximateTokenCounter implements TokenCounter {

    /** Characters per token assumed. */
    public static final int CHARS_PER_TOKEN = 4;

    @Override
    public long count(String text) {
        long chars = text.codePointCount(0, text.length());
        return (chars + CHARS_PER_TOKEN - 1) / CHARS_PER_TOKEN;
    }

    @Override
    public boolean exact() {
        return false;
    }
}
