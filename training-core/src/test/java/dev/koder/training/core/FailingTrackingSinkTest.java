package dev.koder.training.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobStatus;
import dev.koder.training.spi.TrackingContext;
import dev.koder.training.spi.TrackingSink;
import dev.koder.training.tck.RecordingTrackingSink;
import dev.koder.training.tck.ScriptedRunner;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A tracking sink that throws everywhere never touches a job, nor the sinks beside it. */
class FailingTrackingSinkTest {

    @TempDir
    Path dir;

    /** Throws from every method the service calls. */
    static final class Failing implements TrackingSink {
        @Override
        public void start(TrackingContext context) {
            throw new IllegalStateException("cannot start");
        }

        @Override
        public void onEvent(Job job, JobEvent event) {
            throw new IllegalStateException("cannot take event " + event.seq());
        }

        @Override
        public void onCheckpointChanged(Checkpoint checkpoint) {
            throw new IllegalStateException("cannot take checkpoint");
        }

        @Override
        public Optional<String> describe(Job job) {
            throw new IllegalStateException("cannot describe");
        }

        @Override
        public void close() {
            throw new IllegalStateException("cannot close");
        }
    }

    @Test
    void aSinkThatThrows_leavesTheJobAndTheOtherSinksAlone() throws Exception {
        Fixtures fx = new Fixtures(dir);
        RecordingTrackingSink recording = new RecordingTrackingSink();
        Job done;
        try (Training t = Training.builder().home(dir.resolve("home")).runner(new ScriptedRunner())
                .trackingSink(new Failing()).trackingSink(recording).pollInterval(Duration.ofMillis(50)).build()) {
            done = t.jobs().await(t.jobs().submit(fx.spec(5)).id(), Duration.ofSeconds(60));
            assertThat(done.status()).isEqualTo(JobStatus.SUCCEEDED);
            Fixtures.waitFor(t.jobs(), done.id(), j -> recording.events(j.id()).stream()
                    .anyMatch(e -> e.type().equals(JobEvent.TYPE_STATUS) && "succeeded".equals(e.data().get("to"))),
                    Duration.ofSeconds(10));
            assertThat(t.tracking(done)).singleElement().asString().contains("cannot tell").contains("cannot describe");
        }
        assertThat(recording.events(done.id())).extracting(JobEvent::seq).isSorted().doesNotHaveDuplicates();
        assertThat(recording.events(done.id())).anySatisfy(e -> assertThat(e.type()).isEqualTo(JobEvent.TYPE_PROGRESS));
    }
}
