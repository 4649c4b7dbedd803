package dev.koder.training.core.registry;

import dev.koder.training.api.Checkpoint;
import dev.koder.training.core.blob.Digests;
import dev.koder.training.core.internal.HuggingFaceCache;
import java.io.IOException;
import java.io.UncheckedIOException;
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

    /**
     * Checks that a checkpoint's base model is still what its job trained on: working on another base would not
     * be the fine-tune.
     *
     * @param c the checkpoint
     * @param purpose what the caller wants of the base, for the message ("merge into it")
     * @throws IllegalStateException when a local base folder is gone, or its config.json has another SHA-256 now
     */
    static void requireSame(Checkpoint c, String purpose) {
        String base = c.baseModel();
        if (base.startsWith("/") && !Files.isDirectory(Path.of(base))) {
            throw new IllegalStateException("Checkpoint " + c.id() + " was trained on the base model folder " + base
                    + ", which is gone: put the base model back there to " + purpose + ".");
        }
        String trained = c.lineage() == null ? null : c.lineage().baseModelRevision();
        String now;
        try {
            now = revision(base);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (trained != null && now != null && !trained.equals(now)) {
            throw new IllegalStateException("The base model " + base + " of checkpoint " + c.id() + " has changed "
                    + "since it was trained (revision " + trained + ", now " + now + "); restore that revision to "
                    + purpose + ".");
        }
    }
}
