package dev.koder.training.core.data;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Exact counts with a model's own {@code tokenizer.json}, through the Hugging Face tokenizers library (DJL's
 * binding, native library bundled). Truncation is off: DJL truncates to 512 tokens by default, which would
 * under-count long examples silently.
 */
public final class HfTokenCounter implements TokenCounter {

    private final HuggingFaceTokenizer tokenizer;

    private HfTokenCounter(HuggingFaceTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /**
     * @param tokenizerJson a tokenizer.json file
     * @return a counter using it
     * @throws UncheckedIOException when the file cannot be read or parsed
     */
    public static HfTokenCounter open(Path tokenizerJson) {
        try {
            return new HfTokenCounter(HuggingFaceTokenizer.newInstance(tokenizerJson,
                    Map.of("truncation", "false", "padding", "false", "addSpecialTokens", "false")));
        } catch (IOException | RuntimeException e) {
            throw new UncheckedIOException("Cannot load tokenizer " + tokenizerJson + ": " + e.getMessage(),
                    e instanceof IOException ? (IOException) e : new IOException(e));
        }
    }

    /**
     * Picks the best counter for a base model: exact when it is a local folder with a tokenizer.json,
     * approximate otherwise.
     *
     * @param baseModel a spec's base model (a folder path or a hub id)
     * @return a counter; close it when done
     */
    public static TokenCounter forModel(String baseModel) {
        Path file = Path.of(baseModel).resolve("tokenizer.json");
        if (baseModel.startsWith("/") && Files.isRegularFile(file)) {
            return open(file);
        }
        return new ApproximateTokenCounter();
    }

    @Override
    public long count(String text) {
        if (text.isEmpty()) {
            return 0;
        }
        return tokenizer.encode(text, false, false).getIds().length;
    }

    @Override
    public boolean exact() {
        return true;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
