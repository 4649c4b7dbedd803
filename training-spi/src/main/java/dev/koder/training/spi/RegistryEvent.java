package dev.koder.training.spi;

import dev.koder.training.api.Checkpoint;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * Something that happened to a checkpoint in the registry, after it is stored.
 *
 * @param id unique per happening, stable: the same happening told again (a reconcile after a crash) has the same id,
 *     so it makes a good idempotency key
 * @param type {@code checkpoint.registered}, {@code checkpoint.approved}, {@code checkpoint.deprecated},
 *     {@code checkpoint.exported} or {@code checkpoint.evaluated}
 * @param checkpoint the checkpoint after it
 * @param actor who did it
 * @param time when
 * @param details what else there is to say: the reason of a move, an export's folder and manifest SHA-256, an
 *     evaluation's figures (JSON-compatible values)
 */
public record RegistryEvent(String id, String type, Checkpoint checkpoint, String actor, Instant time,
        Map<String, Object> details) {

    /** A checkpoint was registered (as a draft). */
    public static final String REGISTERED = "checkpoint.registered";
    /** A checkpoint was approved. */
    public static final String APPROVED = "checkpoint.approved";
    /** A checkpoint was deprecated. */
    public static final String DEPRECATED = "checkpoint.deprecated";
    /** A checkpoint was exported for serving. */
    public static final String EXPORTED = "checkpoint.exported";
    /** A checkpoint was scored on demand. */
    public static final String EVALUATED = "checkpoint.evaluated";

    /** Checks and copies. */
    public RegistryEvent {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(checkpoint, "checkpoint");
        details = details == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(details));
    }
}
