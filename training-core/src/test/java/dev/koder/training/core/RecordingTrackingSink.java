package dev.koder.training.core;

import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.spi.PluginConfig;
import dev.koder.training.spi.TrackingSink;
import dev.koder.training.spi.TrackingSinkProvider;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A tracking sink registered in META-INF/services of the tests, to prove discovery. */
public final class RecordingTrackingSink implements TrackingSink {

    static final List<JobEvent> EVENTS = new CopyOnWriteArrayList<>();

    @Override
    public void onEvent(Job job, JobEvent event) {
        EVENTS.add(event);
    }

    /** Its provider. */
    public static final class Provider implements TrackingSinkProvider {
        @Override
        public String name() {
            return "recording";
        }

        @Override
        public TrackingSink create(PluginConfig config) {
            return new RecordingTrackingSink();
        }
    }
}
