package dev.koder.training.core.data;

/** Counts the tokens of a piece of text, exactly (with a model's tokenizer) or approximately. */
public interface TokenCounter extends AutoCloseable {

    /**
     * @param text any text
     * @return tokens it encodes to, without special tokens and without truncation
     */
    long count(String text);

    /** @return true when counts come from the model's own tokenizer */
    boolean exact();

    /** Releases native resources; the default does nothing. */
    @Override
    default void close() {
    }
}
