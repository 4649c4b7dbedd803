package dev.koder.training.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobStatus;
import dev.koder.training.spi.TrackingSink;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every {@link TrackingSink} must do, driven through a {@link KitTrackingContext} the way the service
 * drives it: started once, then each job's events in order, then closed.
 *
 * <ul>
 *   <li>a job's figures reach the destination in step order, each once, also when two jobs interleave;</li>
 *   <li>{@code close()} delivers what was handed over before it returns;</li>
 *   <li>a sink never throws back into the service and never holds its thread: with the destination down
 *       ({@link #supportsOutage()}), {@code onEvent} still returns at once, and what was held back arrives once
 *       the destination is back, exactly once and in order.</li>
 * </ul>
 *
 * <p>Subclasses make the sink and read back what reached the destination.
 */
public abstract class TrackingSinkCompatibilityKit {

    @TempDir
    protected Path home;

    private final List<TrackingSink> made = new ArrayList<>();

    /** @return a new sink, not started */
    protected abstract TrackingSink createSink();

    /**
     * @param jobId a job
     * @return the {@code loss} figures the destination holds for the job, in the order it holds them, as
     *     {@code step:value}
     */
    protected abstract List<String> delivered(String jobId);

    /** @return whether the destination can be taken down and brought back ({@link #outage}) */
    protected boolean supportsOutage() {
        return false;
    }

    /** @param down take the destination down (true) or bring it back (false) */
    protected void outage(boolean down) {
        throw new UnsupportedOperationException("no outage");
    }

    @AfterEach
    void closeSinks() {
        for (TrackingSink s : made) {
            s.close();
        }
    }

    private TrackingSink started(KitTrackingContext ctx) {
        TrackingSink sink = createSink();
        made.add(sink);
        sink.start(ctx);
        return sink;
    }

    /** Appends progress events with loss = 10 - step / 10 and hands each to the sink. */
    private static void progress(KitTrackingContext ctx, TrackingSink sink, Job job, int from, int to) {
        for (int step = from; step <= to; step++) {
            JobEvent e = ctx.append(job.id(), JobEvent.TYPE_PROGRESS, Map.of("step", step, "total_steps", to,
                    "loss", 10.0 - step / 10.0, "learning_rate", 1e-4));
            sink.onEvent(job, e);
        }
    }

    private static void finish(KitTrackingContext ctx, TrackingSink sink, Job job) {
        Job done = ctx.move(job.id(), JobStatus.SUCCEEDED);
        List<JobEvent> all = ctx.events(job.id(), 0, 1000).items();
        sink.onEvent(done, all.get(all.size() - 1));
    }

    private static List<String> expected(int from, int to) {
        List<String> out = new ArrayList<>();
        for (int step = from; step <= to; step++) {
            out.add(step + ":" + (10.0 - step / 10.0));
        }
        return out;
    }

    /** Events of a job, in order. */
    @Nested
    class Order {
        @Test
        void aJobsFigures_arriveInStepOrder_eachOnce() {
            KitTrackingContext ctx = new KitTrackingContext(home, true);
            Job job = ctx.move(ctx.job("ftjob-kit-1", "acme", JobStatus.QUEUED).id(), JobStatus.RUNNING);
            TrackingSink sink = started(ctx);
            progress(ctx, sink, job, 1, 40);
            finish(ctx, sink, job);
            sink.close();
            assertThat(delivered(job.id())).containsExactlyElementsOf(expected(1, 40));
        }

        @Test
        void twoInterleavedJobs_eachInOrder() {
            KitTrackingContext ctx = new KitTrackingContext(home, true);
            Job a = ctx.move(ctx.job("ftjob-kit-a", "acme", JobStatus.QUEUED).id(), JobStatus.RUNNING);
            Job b = ctx.move(ctx.job("ftjob-kit-b", "beta", JobStatus.QUEUED).id(), JobStatus.RUNNING);
            TrackingSink sink = started(ctx);
            for (int step = 1; step <= 20; step += 5) {
                progress(ctx, sink, a, step, step + 4);
                progress(ctx, sink, b, step, step + 4);
            }
            finish(ctx, sink, a);
            finish(ctx, sink, b);
            sink.close();
            assertThat(delivered(a.id())).containsExactlyElementsOf(expected(1, 20));
            assertThat(delivered(b.id())).containsExactlyElementsOf(expected(1, 20));
        }
    }

    /** What close does. */
    @Nested
    class Close {
        @Test
        void close_deliversWhatWasHandedOver() {
            KitTrackingContext ctx = new KitTrackingContext(home, true);
            Job job = ctx.move(ctx.job("ftjob-kit-close", "acme", JobStatus.QUEUED).id(), JobStatus.RUNNING);
            TrackingSink sink = started(ctx);
            progress(ctx, sink, job, 1, 7);
            sink.close();
            assertThat(delivered(job.id())).containsExactlyElementsOf(expected(1, 7));
        }
    }

    /** A destination that is down never reaches the service. */
    @Nested
    class Outage {
        @Test
        void onEvent_returnsAtOnce_andNothingIsLostOrRepeated_whenTheDestinationIsDown() {
            // Without an outage to make, the same holds for a destination that is up.
            boolean outage = supportsOutage();
            KitTrackingContext ctx = new KitTrackingContext(home, true);
            Job job = ctx.move(ctx.job("ftjob-kit-down", "acme", JobStatus.QUEUED).id(), JobStatus.RUNNING);
            TrackingSink sink = started(ctx);
            progress(ctx, sink, job, 1, 5);
            if (outage) {
                outage(true);
            }
            long start = System.nanoTime();
            assertThatCode(() -> progress(ctx, sink, job, 6, 30)).doesNotThrowAnyException();
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(took).as("25 events handed over while the destination is down").isLessThan(Duration.ofSeconds(1));
            if (outage) {
                outage(false);
            }
            progress(ctx, sink, job, 31, 35);
            finish(ctx, sink, job);
            sink.close();
            assertThat(delivered(job.id())).containsExactlyElementsOf(expected(1, 35));
        }
    }
}
