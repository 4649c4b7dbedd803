package dev.koder.training.tck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.GpuDevice;
import dev.koder.training.api.GpuNode;
import dev.koder.training.api.Tier;
import dev.koder.training.spi.JobScheduler.Allocation;
import dev.koder.training.spi.JobScheduler.Decision;
import dev.koder.training.spi.JobScheduler.Request;
import dev.koder.training.spi.JobScheduler.Start;
import dev.koder.training.spi.JobScheduler;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;

/**
 * What every {@link JobScheduler} must do: start what fits, oldest first among equals, never a job twice, never a slot
 * or a GPU to two jobs; forget dequeued jobs; count jobs registered as running after a restart; say why a queued job
 * waits. A scheduler that places GPU jobs extends {@link GpuSchedulerCompatibilityKit} instead, which adds what
 * placing GPUs needs. Extend it and implement {@link #newScheduler()}.
 */
public abstract class JobSchedulerCompatibilityKit {

    /** A fixed start of time. */
    protected static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    /** @return a new scheduler */
    protected abstract JobScheduler newScheduler();

    @BeforeEach
    void reportImplementation(TestReporter reporter) {
        reporter.publishEntry("implementation", newScheduler().getClass().getName());
    }

    /**
     * @param id the job
     * @param secondsAfter when it was queued, after {@link #T0}
     * @param gpus GPUs it needs (0: a CPU job)
     * @param memoryGib memory it needs on each GPU
     * @return a request of the pro tier
     */
    protected static Request job(String id, int secondsAfter, int gpus, double memoryGib) {
        return new Request(id, "tenant", Tier.PRO, T0.plusSeconds(secondsAfter), gpus, null, memoryGib,
                Duration.ofHours(1));
    }

    /**
     * @param name the node's name
     * @param count its GPUs
     * @param memoryMib each GPU's memory
     * @return a node of {@code count} H100s with that memory
     */
    protected static GpuNode node(String name, int count, long memoryMib) {
        List<GpuDevice> gpus = IntStream.range(0, count).mapToObj(i -> new GpuDevice(i, null, "NVIDIA H100 80GB HBM3",
                memoryMib, -1, -1, List.of())).toList();
        return new GpuNode(name, gpus);
    }

    static List<String> started(Decision d) {
        return d.starts().stream().map(Start::jobId).toList();
    }

    /** Jobs on CPU slots: what every scheduler does. */
    @Nested
    class Slots {
        @Test
        void theOldestJobsStart_asManyAsThereAreSlots_andTheOthersSayWhyTheyWait() {
            JobScheduler s = newScheduler();
            s.pool(List.of(), 2);
            s.enqueue(job("c", 30, 0, 0));
            s.enqueue(job("a", 10, 0, 0));
            s.enqueue(job("b", 20, 0, 0));
            assertThat(started(s.schedule(T0.plusSeconds(60)))).containsExactlyInAnyOrder("a", "b");
            assertThat(s.reason("c")).hasValueSatisfying(r -> assertThat(r).isNotBlank());
            assertThat(s.reason("a")).as("a started job no longer waits").isEmpty();
            assertThat(started(s.schedule(T0.plusSeconds(61)))).as("nothing new: nothing starts").isEmpty();
            s.release("a");
            assertThat(started(s.schedule(T0.plusSeconds(62)))).containsExactly("c");
            assertThat(started(s.schedule(T0.plusSeconds(63)))).isEmpty();
        }

        @Test
        void aDequeuedJob_neverStarts_andAJobQueuedTwice_startsOnce() {
            JobScheduler s = newScheduler();
            s.pool(List.of(), 4);
            s.enqueue(job("gone", 0, 0, 0));
            s.enqueue(job("twice", 1, 0, 0));
            s.enqueue(job("twice", 1, 0, 0));
            s.dequeue("gone");
            s.dequeue("never-queued");
            assertThat(started(s.schedule(T0))).containsExactly("twice");
            assertThat(s.reason("gone")).isEmpty();
            assertThat(s.schedule(T0.plusSeconds(1)).starts()).isEmpty();
        }

        @Test
        void aJobRegisteredAsRunning_holdsItsSlot_untilReleased() {
            JobScheduler s = newScheduler();
            s.pool(List.of(), 1);
            s.running(job("survivor", 0, 0, 0), new Allocation("local", List.of()), T0);
            s.enqueue(job("next", 5, 0, 0));
            assertThat(s.schedule(T0.plusSeconds(10)).starts()).isEmpty();
            s.release("survivor");
            s.release("survivor");
            assertThat(started(s.schedule(T0.plusSeconds(11)))).containsExactly("next");
        }

        @Test
        void anEmptyQueue_decidesNothing() {
            JobScheduler s = newScheduler();
            s.pool(List.of(), 1);
            Decision d = s.schedule(T0);
            assertThat(d.starts()).isEmpty();
            assertThat(d.preemptions()).isEmpty();
            assertThat(s.name()).isNotBlank();
        }
    }
}
