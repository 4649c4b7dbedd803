package dev.koder.training.core.internal;

import java.nio.file.Path;

/** Where the Hugging Face hub cache keeps a model on this machine. */
public final class HuggingFaceCache {

    private HuggingFaceCache() {
    }

    /**
     * @param id a hub id such as {@code meta-llama/Llama-3.2-1B}
     * @return its folder in the cache ({@code $HF_HOME/hub}, else {@code ~/.cache/huggingface/hub}), with
     *     {@code snapshots/} and {@code refs/} inside; it may not exist
     */
    public static Path repo(String id) {
        String home = System.getenv("HF_HOME");
        Path hub = home != null ? Path.of(home, "hub") : Path.of(System.getProperty("user.home"), ".cache",
                "huggingface", "hub");
        return hub.resolve("models--" + id.replace("/", "--"));
    }
}
