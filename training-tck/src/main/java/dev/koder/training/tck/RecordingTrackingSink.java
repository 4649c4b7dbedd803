package dev.koder.training.tck;

import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.spi.TrackingSink;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A tracking sink that keeps what it is given in memory, for tests of hosts and tools: every event in the order
 * it arrived, and every checkpoint move.
 */
public final class RecordingTrackingSink implements TrackingSink {

    private final List<JobEvent> events = new CopyOnWriteArrayList<>();
    private final List<Checkpoint> checkpoints = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    @Override
    public void onEvent(Job job, JobEvent event) {
        if (closed) {
            throw new IllegalStateException("event " + event.seq() + " of " + job.id() + " after close");
        }
        events.add(event);
    }

    @Override
    public void onCheckpointChanged(Checkpoint checkpoint) {
        checkpoints.add(checkpoint);
    }

    @Override
    public void close() {
        closed = true;
    }

    /** @return every event received, in order */
    public List<JobEvent> events() {
        return List.copyOf(events);
    }

    /** @param jobId a job @return that job's events received, in order */
    public List<JobEvent> events(String jobId) {
        return events.stream().filter(e -> e.jobId().equals(jobId)).toList();
    }

    /** @return every checkpoint move received, in order */
    public List<Checkpoint> checkpoints() {
        return List.copyOf(checkpoints);
    }
}
