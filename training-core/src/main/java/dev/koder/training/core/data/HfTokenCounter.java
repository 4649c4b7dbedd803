package dev.koder.training.core.data;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exact counts with a model's own {@code tokenizer.json}, through the Hugging Face tokenizers library (DJL's
 * binding, native library bundled). Truncation is off: DJL truncates to 512 tokens by default, which would
 * under-count long examples silently.
 */
public final class HfTokenCounter implements TokenCounter {

    /** DJL's setting of which build of its native library to load (cpu, or a CUDA flavour). */
    static final String FLAVOR = "RUST_FLAVOR";

    private static final Logger LOG = LoggerFactory.getLogger(HfTokenCounter.class);

    static {
        // On a host with CUDA, DJL picks a CUDA build of the tokenizers library and downloads it, which fails
        // offline (seen on an H200 host). Counting tokens needs no GPU, and the CPU build is the bundled one.
        if (System.getenv(FLAVOR) == null && System.getProperty(FLAVOR) == null) {
            System.setProperty(FLAVOR, "cpu");
        }
    }

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
            try {
                return open(file);
            } catch (UncheckedIOException e) {
                if (!nativeLibraryMissing(e)) {
                    throw e;
                }
                LOG.warn("The tokenizers library does not load on this host ({}); tokens are approximated",
                        e.getMessage());
            } catch (LinkageError e) {
                LOG.warn("The tokenizers library does not load on this host ({}); tokens are approximated",
                        e.toString());
            }
        }
        return new ApproximateTokenCounter();
    }

    /** @return whether a failure to open a tokenizer is the native library's, not the file's */
    static boolean nativeLibraryMissing(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof LinkageError || String.valueOf(t.getMessage()).contains("native library")) {
                return true;
            }
        }
        return false;
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
