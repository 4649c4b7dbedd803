package dev.koder.training.spi;

import dev.koder.training.api.EventLevel;
import java.time.Instant;
import java.util.Map;

/**
 * An event to append to a job; the store gives it the job's next sequence number.
 *
 * @param time when it happened
 * @param level importance
 * @param type kind of event, see {@link dev.koder.training.api.JobEvent}
 * @param message one line for people
 * @param data JSON-compatible figures
 */
public record NewEvent(Instant time, EventLevel level, String type, String message, Map<String, Object> data) {

    /** Copies the data so the record stays immutable. */
    public NewEvent {
        data = data == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(data));
    }
}
