package dev.koder.training.spi;

import dev.koder.training.api.JobEvent;
import java.util.List;

/**
 * The result of a successful {@link JobStore#update}.
 *
 * @param record the job as now stored
 * @param events the appended events with their sequence numbers
 */
public record Updated(JobRecord record, List<JobEvent> events) {

    /** Copies the events so the record stays immutable. */
    public Updated {
        events = List.copyOf(events);
    }
}
