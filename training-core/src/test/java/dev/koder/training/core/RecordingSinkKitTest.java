package dev.koder.training.core;

import dev.koder.training.api.JobEvent;
import dev.koder.training.spi.TrackingSink;
import dev.koder.training.tck.RecordingTrackingSink;
import dev.koder.training.tck.TrackingSinkCompatibilityKit;
import java.util.ArrayList;
import java.util.List;

/** The recording sink that tools test with, against the tracking-sink compatibility kit. */
class RecordingSinkKitTest extends TrackingSinkCompatibilityKit {

    final List<RecordingTrackingSink> sinks = new ArrayList<>();

    @Override
    protected TrackingSink createSink() {
        RecordingTrackingSink s = new RecordingTrackingSink();
        sinks.add(s);
        return s;
    }

    @Override
    protected List<String> delivered(String jobId) {
        List<String> out = new ArrayList<>();
        for (RecordingTrackingSink s : sinks) {
            for (JobEvent e : s.events(jobId)) {
                if (e.type().equals(JobEvent.TYPE_PROGRESS)) {
                    out.add(e.data().get("step") + ":" + e.data().get("loss"));
                }
            }
        }
        return out;
    }
}
