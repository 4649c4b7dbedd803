package dev.koder.training.tck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobStatus;
import dev.koder.training.spi.Backoff;
import dev.koder.training.spi.JobEventStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reliable-delivery base of job-streaming sinks, against a receiver in the test that fails as it is told:
 * every event arrives once and in order through lost answers, refusals and restarts.
 */
class JobEventStreamTest {

    @TempDir
    Path home;

    private final List<Receiver> started = new ArrayList<>();

    /** What the next requests do, in order; when empty they go through. */
    enum Fault { FAIL, APPLY_THEN_FAIL, REFUSE, GONE }

    static final class ReceiverFault extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final Fault fault;

        ReceiverFault(Fault fault) {
            super("receiver: " + fault);
            this.fault = fault;
        }
    }

    /** A receiver and its stream in one: it keeps what it was sent per job, and fails as scripted. */
    static final class Receiver extends JobEventStream {
        final Map<String, List<Long>> got = new ConcurrentHashMap<>();
        final List<String> ended = new CopyOnWriteArrayList<>();
        final List<String> opened = new CopyOnWriteArrayList<>();
        final List<String> notes = new CopyOnWriteArrayList<>();
        final ConcurrentLinkedQueue<Fault> faults = new ConcurrentLinkedQueue<>();
        final int perRequest;
        volatile int confirms;

        Receiver(int perRequest, long warnEvents) {
            super("test-stream", new Backoff(Duration.ofMillis(10), Duration.ofMillis(50)), Duration.ofMillis(20),
                    Duration.ofSeconds(2), warnEvents);
            this.perRequest = perRequest;
        }

        private void maybeFail(Runnable apply) {
            Fault f = faults.poll();
            if (f == Fault.APPLY_THEN_FAIL) {
                apply.run();
            }
            if (f != null) {
                throw new ReceiverFault(f);
            }
            apply.run();
        }

        @Override
        protected void open(Job job) {
            if (!opened.contains(job.id())) {
                opened.add(job.id());
            }
        }

        @Override
        protected int fit(Job job, List<JobEvent> events) {
            return perRequest;
        }

        @Override
        protected void send(Job job, List<JobEvent> events) {
            maybeFail(() -> events.forEach(e -> got.computeIfAbsent(job.id(), k -> new CopyOnWriteArrayList<>())
                    .add(e.seq())));
        }

        @Override
        protected void end(Job job, Instant endedAt) {
            maybeFail(() -> ended.add(job.id() + ":" + job.status().wireName()));
        }

        @Override
        protected OptionalLong confirmed(Job job) {
            confirms++;
            List<Long> g = got.getOrDefault(job.id(), List.of());
            return g.isEmpty() ? OptionalLong.empty() : OptionalLong.of(g.get(g.size() - 1));
        }

        @Override
        protected Failure classify(RuntimeException failure) {
            if (!(failure instanceof ReceiverFault f)) {
                return null;
            }
            return switch (f.fault) {
                case FAIL -> new Failure(Outcome.RETRY, null);
                case APPLY_THEN_FAIL -> new Failure(Outcome.UNKNOWN, null);
                case REFUSE -> new Failure(Outcome.SKIP, null);
                case GONE -> new Failure(Outcome.GIVE_UP, null);
            };
        }

        @Override
        protected void skipped(String jobId, long fromSeq, long toSeq, String detail) {
            notes.add("skipped " + jobId + " " + fromSeq + "-" + toSeq);
        }

        @Override
        protected void abandoned(String jobId, String detail) {
            notes.add("abandoned " + jobId);
        }

        @Override
        protected void backlog(long waiting, long threshold) {
            notes.add("backlog " + waiting + ">" + threshold);
        }
    }

    @AfterEach
    void closeAll() {
        started.forEach(Receiver::close);
    }

    Receiver start(KitTrackingContext ctx, int perRequest, long warnEvents) {
        Receiver r = new Receiver(perRequest, warnEvents);
        started.add(r);
        r.start(ctx);
        return r;
    }

    static void events(KitTrackingContext ctx, JobEventStream s, String jobId, int n) {
        JobEvent last = null;
        for (int i = 0; i < n; i++) {
            last = ctx.append(jobId, JobEvent.TYPE_PROGRESS, Map.of("step", i + 1));
        }
        s.onEvent(ctx.job(jobId).orElseThrow(), last);
    }

    static void finish(KitTrackingContext ctx, JobEventStream s, String jobId, JobStatus status) {
        Job j = ctx.move(jobId, status);
        s.onEvent(j, ctx.events(jobId, 0, 1000).items().get(ctx.events(jobId, 0, 1000).items().size() - 1));
    }

    static void await(String what, BooleanSupplier check) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!check.getAsBoolean()) {
            if (System.nanoTime() > until) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(10);
        }
    }

    static List<Long> oneTo(long n) {
        List<Long> out = new ArrayList<>();
        for (long i = 1; i <= n; i++) {
            out.add(i);
        }
        return out;
    }

    @Test
    void aProcessThatStopsRunningTheJobs_stopsSending_andGoesOnFromTheCursorWhenItRunsThemAgain() throws Exception {
        KitTrackingContext ctx = new KitTrackingContext(home, true);
        ctx.job("j1", "acme", JobStatus.RUNNING);
        Receiver r = start(ctx, 100, 1_000_000);
        events(ctx, r, "j1", 5);
        await("the first events sent", () -> r.got.getOrDefault("j1", List.of()).size() == 5);
        ctx.sends(false); // the worker lease went to another instance
        events(ctx, r, "j1", 5);
        r.start(ctx); // a second start swaps the context and starts no second sender
        Thread.sleep(300);
        assertThat(r.got.get("j1")).as("sent while another instance runs the jobs").isEqualTo(oneTo(5));
        ctx.sends(true); // and came back
        events(ctx, r, "j1", 1);
        await("the rest sent", () -> r.got.get("j1").size() >= 11);
        Thread.sleep(100);
        assertThat(r.got.get("j1")).isEqualTo(oneTo(11));
    }

    @Test
    void failuresAndLostAnswers_loseAndRepeatNothing_andTheStreamEndsOnce() throws Exception {
        KitTrackingContext ctx = new KitTrackingContext(home, true);
        ctx.job("j1", "acme", JobStatus.RUNNING);
        Receiver r = start(ctx, 3, 1_000_000);
        r.faults.addAll(List.of(Fault.FAIL, Fault.APPLY_THEN_FAIL, Fault.FAIL, Fault.APPLY_THEN_FAIL));
        events(ctx, r, "j1", 20);
        finish(ctx, r, "j1", JobStatus.SUCCEEDED);

        await("the stream ended", () -> !r.ended.isEmpty());
        assertThat(r.got.get("j1")).isEqualTo(oneTo(21));
        assertThat(r.ended).containsExactly("j1:succeeded");
        assertThat(r.confirms).as("the receiver was asked after each lost answer").isGreaterThanOrEqualTo(2);
        assertThat(r.position("j1")).isEqualTo(new JobEventStream.Position(21, false, "succeeded"));
    }

    @Test
    void refusedEvents_areSkipped_aGoneJob_isGivenUp_andOtherJobsGoOn() throws Exception {
        KitTrackingContext ctx = new KitTrackingContext(home, true);
        ctx.job("j1", "acme", JobStatus.RUNNING);
        for (int i = 0; i < 10; i++) {
            ctx.append("j1", JobEvent.TYPE_PROGRESS, Map.of("step", i + 1));
        }
        Receiver r = new Receiver(5, 1_000_000);
        r.faults.add(Fault.REFUSE);
        started.add(r);
        r.start(ctx);
        await("the refused batch skipped and the rest sent", () -> r.got.getOrDefault("j1", List.of()).size() == 5);
        assertThat(r.got.get("j1")).containsExactly(6L, 7L, 8L, 9L, 10L);
        assertThat(r.notes).containsExactly("skipped j1 1-5");

        ctx.job("j2", "acme", JobStatus.RUNNING);
        r.faults.add(Fault.GONE);
        events(ctx, r, "j2", 3);
        await("j2 given up", () -> JobEventStream.Position.ABANDONED.equals(r.position("j2").ended()));
        events(ctx, r, "j2", 3);
        events(ctx, r, "j1", 2);
        finish(ctx, r, "j1", JobStatus.FAILED);
        await("j1 ended", () -> !r.ended.isEmpty());
        assertThat(r.got).doesNotContainKey("j2");
        assertThat(r.got.get("j1")).endsWith(11L, 12L, 13L);
        assertThat(r.notes).contains("abandoned j2");
    }

    @Test
    void aStreamStoppedMidway_isPickedUpByTheNextProcess_atItsCursor_askingTheReceiverFirst() throws Exception {
        KitTrackingContext ctx = new KitTrackingContext(home, true);
        ctx.job("j1", "acme", JobStatus.RUNNING);
        Receiver first = start(ctx, 4, 1_000_000);
        events(ctx, first, "j1", 8);
        await("the first eight sent", () -> first.got.getOrDefault("j1", List.of()).size() == 8);
        first.close();
        // While no process sends, the job goes on and ends.
        ctx.append("j1", JobEvent.TYPE_PROGRESS, Map.of("step", 9));
        ctx.move("j1", JobStatus.SUCCEEDED);

        Receiver next = new Receiver(4, 1_000_000);
        next.got.putAll(first.got);
        started.add(next);
        next.start(ctx);
        await("the stream ended", () -> !next.ended.isEmpty());
        assertThat(next.got.get("j1")).isEqualTo(oneTo(10));
        assertThat(next.confirms).as("an unended stream is checked with the receiver at start").isEqualTo(1);
    }

    @Test
    void aBacklogOverTheThreshold_isToldOnce_whileTheReceiverFails() throws Exception {
        KitTrackingContext ctx = new KitTrackingContext(home, true);
        ctx.job("j1", "acme", JobStatus.RUNNING);
        Receiver r = start(ctx, 100, 5);
        r.faults.addAll(Collections.nCopies(1_000, Fault.FAIL));
        events(ctx, r, "j1", 12);
        await("the backlog told", () -> !r.notes.isEmpty());
        Thread.sleep(200);
        assertThat(r.notes).containsExactly("backlog 12>5");
        assertThat(r.failing()).contains("FAIL");
        r.faults.clear();
        await("caught up", () -> r.got.getOrDefault("j1", List.of()).size() == 12);
    }

    @Test
    void aProcessThatDoesNotRunJobs_sendsNothing_butReadsTheCursors() throws Exception {
        KitTrackingContext ctx = new KitTrackingContext(home, false);
        ctx.job("j1", "acme", JobStatus.RUNNING);
        JobEventStream.seed(ctx.state(), "j1", new JobEventStream.Position(3, false, null));
        Receiver r = start(ctx, 10, 1_000_000);
        events(ctx, r, "j1", 5);
        Thread.sleep(200);
        assertThat(r.got).isEmpty();
        assertThat(r.opened).isEmpty();
        assertThat(r.position("j1").acked()).isEqualTo(3);
        assertThat(r.waiting("j1", 1000)).isEqualTo(2);
        assertThat(r.close()).isTrue();
    }
}
