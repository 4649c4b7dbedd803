package dev.koder.training.core.internal;

import java.nio.file.Path;
import java.util.Optional;

/** Where the Hugging Face hub cache keeps a model on this machine. */
public final class HuggingFaceCache {

    /** How the cache names a model's folder: {@code models--ORG--NAME}. */
    private static final String PREFIX = "models--";

    private HuggingFaceCache() {
    }

    /**
     * @return the hub cache: {@code $HF_HUB_CACHE}, else {@code $HF_HOME/hub}, else
     *     {@code ~/.cache/huggingface/hub}, as the Hugging Face libraries look for it; it may not exist
     */
    public static Path hub() {
        String cache = System.getenv("HF_HUB_CACHE");
        if (cache != null && !cache.isBlank()) {
            return Path.of(cache);
        }
        String home = System.getenv("HF_HOME");
        return home != null && !home.isBlank() ? Path.of(home, "hub") : Path.of(System.getProperty("user.home"),
                ".cache", "huggingface", "hub");
    }

    /**
     * @param id a hub id such as {@code meta-llama/Llama-3.2-1B}
     * @return its folder in the {@linkplain #hub() cache}, with {@code snapshots/} and {@code refs/} inside; it may
     *     not exist
     */
    public static Path repo(String id) {
        return repo(hub(), id);
    }

    /**
     * @param hub a hub cache
     * @param id a hub id
     * @return its folder in that cache
     */
    public static Path repo(Path hub, String id) {
        return hub.resolve(PREFIX + id.replace("/", "--"));
    }

    /**
     * @param folder the name of a folder in a hub cache
     * @return the hub id of the model it holds, if it is a model's folder
     */
    public static Optional<String> id(String folder) {
        return folder.startsWith(PREFIX) && folder.length() > PREFIX.length() ? Optional.of(
                folder.substring(PREFIX.length()).replace("--", "/")) : Optional.empty();
    }
}
