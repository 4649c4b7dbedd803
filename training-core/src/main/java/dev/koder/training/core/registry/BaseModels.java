package dev.koder.training.core.registry;

import dev.koder.training.core.blob.Digests;
import dev.koder.training.core.internal.HuggingFaceCache;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Which revision of a base model a job trained on. */
final class BaseModels {

    private BaseModels() {
    }

    /**
     * @param baseModel a spec's base model: a local folder or a hub id
     * @return {@code config.json sha256:<hex>} for a local folder, {@code <commit>} of the Hugging Face cache's
     *     {@code refs/main} for a hub id, or null when neither is on this machine
     */
    static String revision(String baseModel) throws IOException {
        if (baseModel.startsWith("/")) {
            Path config = Path.of(baseModel).resolve("config.json");
            return Files.isRegularFile(config) ? "config.json sha256:" + Digests.sha256(config) : null;
        }
        Path ref = HuggingFaceCache.repo(baseModel).resolve("refs").resolve("main");
        return Files.isRegularFile(ref) ? Files.readString(ref).trim() : null;
    }
}
