package dev.koder.training.spi;

import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Page;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * Sends every job's stored events to one receiver, in order and each once: the reliable-delivery base of a
 * {@link TrackingSink} that streams jobs (MLflow's runs, a webhook of job events). The job store is the outbox:
 * every event is committed there before a sink hears of it, so this only keeps, per job, a durable cursor in the
 * sink's {@link TrackingState}: the last event the receiver acknowledged, whether the answer to the last request
 * was lost (so the receiver is asked how far it got before anything is sent again), and whether the job's stream
 * ended.
 *
 * <p>A subclass says how a job's stream begins ({@link #open}), how many events one request takes ({@link #fit}),
 * how they are sent ({@link #send}) and how the stream ends ({@link #end}); and, through {@link #classify}, what a
 * failure of any of them means: try again later, perhaps applied (ask the receiver, see {@link #confirmed}), these
 * events refused (skip them), or the job refused (give its stream up). Everything runs on one daemon thread, a
 * {@link SendLoop} with the subclass's backoff; {@link #onEvent} only notes that a job has news.
 *
 * <p>Only the process that runs the home's jobs sends ({@link TrackingContext#sends()}, asked again every round: a
 * process that lost the worker lease stops, and the one that took it goes on from the shared cursors); a stream that
 * is behind after a restart picks up at its cursor. When more events wait than the warning threshold, {@link #backlog} says
 * so once, and again after the backlog fell to half of it.
 */
public abstract class JobEventStream {

    /** Where the cursors are kept in the sink's state: this, then the job's id. */
    public static final String KEY = "stream/";

    /**
     * How far a job's stream got.
     *
     * @param acked the sequence number of the last event the receiver acknowledged, 0 before the first
     * @param verify whether the answer to the last request was lost: the receiver is asked before sending again
     * @param ended null while the stream runs; the job's final status once its end was sent, or
     *     {@link #ABANDONED} when the receiver refused the job
     */
    public record Position(long acked, boolean verify, String ended) {

        /** The {@link #ended} of a job whose stream the receiver refused. */
        public static final String ABANDONED = "abandoned";

        /** The position of a job nothing was sent of. */
        public static final Position START = new Position(0, false, null);

        static Position parse(String text) {
            long acked = 0;
            boolean verify = false;
            String ended = null;
            for (String part : text.trim().split("\\s+")) {
                int eq = part.indexOf('=');
                if (eq < 0) {
                    continue;
                }
                String value = part.substring(eq + 1);
                switch (part.substring(0, eq)) {
                    case "acked" -> acked = Long.parseLong(value);
                    case "verify" -> verify = Boolean.parseBoolean(value);
                    case "ended" -> ended = value.equals("-") ? null : value;
                    default -> {
                        // a field of a later version
                    }
                }
            }
            return new Position(acked, verify, ended);
        }

        String format() {
            return "acked=" + acked + " verify=" + verify + " ended=" + (ended == null ? "-" : ended);
        }
    }

    /** What a failure means for a job's stream; see {@link #classify}. */
    public enum Outcome {
        /** Nothing was applied; the same work is tried again after the backoff. */
        RETRY,
        /** It may have been applied (no answer, a 5xx): the receiver is asked ({@link #confirmed}) before a resend. */
        UNKNOWN,
        /** The receiver refuses these events and always will: they are skipped (refused outside {@link #send}: as
         * {@link #GIVE_UP}). */
        SKIP,
        /** The receiver refuses the job (its run is gone): its stream stops for good. */
        GIVE_UP
    }

    /**
     * A classified failure.
     *
     * @param outcome what it means
     * @param after for {@link Outcome#RETRY} and {@link Outcome#UNKNOWN}: how long to wait, or null for the backoff
     */
    public record Failure(Outcome outcome, Duration after) {

        /** Checks the outcome. */
        public Failure {
            Objects.requireNonNull(outcome, "outcome");
        }
    }

    private final String name;
    private final Backoff backoff;
    private final Duration poll;
    private final Duration closeWait;
    private final long warnEvents;
    private final Set<String> dirty = new ConcurrentSkipListSet<>();
    private final Map<String, Long> lastSeen = new ConcurrentHashMap<>();
    private boolean warned;
    private volatile TrackingContext ctx;
    private Loop loop;

    /**
     * @param name the sender thread's name
     * @param backoff the waits after failed rounds
     * @param poll how often a running job's new events are sent (a job's end is sent at once)
     * @param closeWait how long {@link #close} may keep sending
     * @param warnEvents {@link #backlog} is called when more events than this wait
     */
    protected JobEventStream(String name, Backoff backoff, Duration poll, Duration closeWait, long warnEvents) {
        this.name = Objects.requireNonNull(name, "name");
        this.backoff = Objects.requireNonNull(backoff, "backoff");
        this.poll = Objects.requireNonNull(poll, "poll");
        this.closeWait = Objects.requireNonNull(closeWait, "closeWait");
        this.warnEvents = warnEvents;
    }

    // ---- what a subclass says

    /**
     * Begins a job's stream, or finds what an earlier try began (a run made once, whatever failed after): called
     * before every round of sending the job, so it must be cheap when everything is there.
     *
     * @param job the job
     */
    protected abstract void open(Job job);

    /**
     * @param job the job
     * @param events its next events, at least one, in order
     * @return how many of the first of them one request takes, 1 or more
     */
    protected abstract int fit(Job job, List<JobEvent> events);

    /**
     * Sends events in one request; returns when the receiver acknowledged them.
     *
     * @param job the job
     * @param events what {@link #fit} took, in order
     */
    protected abstract void send(Job job, List<JobEvent> events);

    /**
     * Ends the job's stream: every event was sent and the job reached a final status. Tried again until it returns.
     *
     * @param job the job, final
     * @param endedAt when it ended (the final status event's time)
     */
    protected abstract void end(Job job, Instant endedAt);

    /**
     * After a request whose answer was lost: how far the receiver has the job's events.
     *
     * @param job the job
     * @return the sequence number of the last event the receiver has, or empty when it cannot say (nothing is
     *     skipped then: the events after the cursor are sent again)
     */
    protected OptionalLong confirmed(Job job) {
        return OptionalLong.empty();
    }

    /**
     * @param failure what a subclass's method threw
     * @return what it means, or null when it was not expected (tried again after the backoff, and reported to
     *     {@link #failed} as unexpected)
     */
    protected abstract Failure classify(RuntimeException failure);

    /**
     * A round of sending failed; called on every failed round.
     *
     * @param detail what failed
     * @param first whether it is the first of a run of failures (so the one to log)
     * @param unexpected whether {@link #classify} did not know it
     */
    protected void failed(String detail, boolean first, boolean unexpected) {
    }

    /** Sending goes through again after failed rounds. */
    protected void recovered() {
    }

    /**
     * The receiver refused events; they are skipped.
     *
     * @param jobId the job
     * @param fromSeq the first skipped event's sequence number
     * @param toSeq the last's
     * @param detail what the receiver said
     */
    protected void skipped(String jobId, long fromSeq, long toSeq, String detail) {
    }

    /**
     * The receiver refused a job; nothing more of it is sent.
     *
     * @param jobId the job
     * @param detail what the receiver said
     */
    protected void abandoned(String jobId, String detail) {
    }

    /**
     * More events wait than the warning threshold; called once, and again after the backlog fell to half of it.
     *
     * @param waiting how many events wait
     * @param threshold the threshold
     */
    protected void backlog(long waiting, long threshold) {
    }

    /** @return the tracking context the stream was started with, or null before {@link #start} */
    protected final TrackingContext context() {
        return ctx;
    }

    // ---- what the sink calls

    /**
     * Starts sending in the process that runs the home's jobs (elsewhere it does nothing): streams a previous
     * process left unfinished first ask the receiver how far they got, and jobs that may never have reached the
     * stream are looked at.
     *
     * @param context the service's tracking context
     */
    public final void start(TrackingContext context) {
        this.ctx = Objects.requireNonNull(context, "context");
        synchronized (this) {
            if (!context.sends() || loop != null) {
                return; // a second start, when this process took the jobs over, only swaps the context
            }
        }
        for (Map.Entry<String, String> e : context.state().withPrefix(KEY).entrySet()) {
            Position p = Position.parse(e.getValue());
            if (p.ended() == null) {
                String jobId = e.getKey().substring(KEY.length());
                save(jobId, new Position(p.acked(), true, null));
                dirty.add(jobId);
            }
        }
        for (Job j : context.unfinished()) {
            dirty.add(j.id());
        }
        synchronized (this) {
            loop = new Loop();
            loop.start();
        }
    }

    /**
     * Notes that a job has news: its stream is sent in the next round, at once when the job reached its end.
     *
     * @param job the job, as of the event
     * @param event its newest stored event
     */
    public final void onEvent(Job job, JobEvent event) {
        TrackingContext c = ctx;
        if (c == null || !c.sends()) {
            return;
        }
        if (lastSeen.put(job.id(), event.seq()) == null) {
            // First sight of the job in this process: noted durably, so a restart finds it even if it ended before
            // anything was sent.
            c.state().putIfAbsent(KEY + job.id(), Position.START.format());
        }
        dirty.add(job.id());
        if (event.type().equals(JobEvent.TYPE_STATUS) && job.status().isTerminal()) {
            wake();
        }
    }

    /**
     * Seeds a job's cursor where none is kept yet: for a sink whose state is from before it used this class, called
     * before {@link #start}.
     *
     * @param state the sink's state
     * @param jobId the job
     * @param position how far its stream got
     */
    public static void seed(TrackingState state, String jobId, Position position) {
        state.putIfAbsent(KEY + jobId, position.format());
    }

    /** @param jobId a job @return how far its stream got; {@link Position#START} when nothing was sent */
    public final Position position(String jobId) {
        return ctx.state().get(KEY + jobId).map(Position::parse).orElse(Position.START);
    }

    /**
     * @param jobId a job
     * @param max the most to count, 1 to 1000
     * @return how many of its stored events were not acknowledged yet, up to {@code max}
     */
    public final int waiting(String jobId, int max) {
        return ctx.events(jobId, position(jobId).acked(), max).items().size();
    }

    /** @return the jobs with news not sent yet */
    public final Set<String> pending() {
        return Set.copyOf(dirty);
    }

    /** @return what the receiver said last when it is failing, or null when it answers */
    public final String failing() {
        Loop l = loop;
        return l == null ? null : l.failing();
    }

    /** Runs a round now instead of at the end of the poll interval. */
    public final void wake() {
        Loop l = loop;
        if (l != null) {
            l.wake();
        }
    }

    /**
     * Sends what is left until nothing is or the close wait is over, then stops the thread; what is not sent is
     * sent by the next process that starts on the home.
     *
     * @return whether everything was sent
     */
    public final boolean close() {
        Loop l;
        synchronized (this) {
            l = loop;
        }
        return l == null || l.close();
    }

    // ---- the sender

    private void save(String jobId, Position p) {
        ctx.state().put(KEY + jobId, p.format());
    }

    private final class Loop extends SendLoop {

        Loop() {
            super(name, backoff, poll, closeWait);
        }

        @Override
        protected boolean round() {
            if (!ctx.sends()) {
                return false; // this process stopped running the jobs (it lost the worker lease): another sends now
            }
            try {
                for (String jobId : new ArrayList<>(dirty)) {
                    dirty.remove(jobId);
                    try {
                        sync(jobId);
                    } catch (RuntimeException e) {
                        dirty.add(jobId);
                        throw e;
                    }
                }
            } finally {
                // after failed rounds too: a receiver that is down is when the backlog grows
                if (!closing()) {
                    checkBacklog();
                }
            }
            return false;
        }

        @Override
        protected boolean idle() {
            return dirty.isEmpty();
        }

        @Override
        protected void failed(String detail, boolean first, boolean unexpected) {
            JobEventStream.this.failed(detail, first, unexpected);
        }

        @Override
        protected void recovered() {
            JobEventStream.this.recovered();
        }
    }

    /** Sends whatever of a job the receiver does not have yet, in order. */
    private void sync(String jobId) {
        Optional<Job> found = ctx.job(jobId);
        if (found.isEmpty()) {
            return;
        }
        Job job = found.get();
        Position p = position(jobId);
        if (p.ended() != null) {
            return;
        }
        try {
            open(job);
            if (p.verify()) {
                OptionalLong has = confirmed(job);
                p = new Position(Math.max(p.acked(), has.orElse(p.acked())), false, null);
                save(jobId, p);
            }
            while (true) {
                Page<JobEvent> page = ctx.events(jobId, p.acked(), 1000);
                if (page.items().isEmpty()) {
                    Job now = ctx.job(jobId).orElse(job);
                    if (now.status().isTerminal()) {
                        // every event is sent but the stream was not ended (an ending request failed, or the
                        // process stopped in between): ended now, and again after any failure, until it is
                        finish(now, p, now.finishedAt() != null ? now.finishedAt() : Instant.now());
                    }
                    return;
                }
                List<JobEvent> events = upToEnd(page.items());
                while (!events.isEmpty()) {
                    int n = Math.max(1, Math.min(events.size(), fit(job, events)));
                    List<JobEvent> batch = events.subList(0, n);
                    p = sendBatch(job, p, batch);
                    events = events.subList(n, events.size());
                    JobEvent last = batch.get(n - 1);
                    if (events.isEmpty() && isFinal(last)) {
                        finish(ctx.job(jobId).orElse(job), p, last.time());
                        return;
                    }
                }
            }
        } catch (Abandon a) {
            abandoned(jobId, a.getMessage());
            save(jobId, new Position(position(jobId).acked(), false, Position.ABANDONED));
            lastSeen.remove(jobId);
        } catch (RuntimeException e) {
            Failure f = classify(e);
            if (f == null) {
                throw e;
            }
            if (f.outcome() == Outcome.SKIP || f.outcome() == Outcome.GIVE_UP) {
                abandoned(jobId, describe(e));
                save(jobId, new Position(position(jobId).acked(), false, Position.ABANDONED));
                lastSeen.remove(jobId);
                return;
            }
            if (f.outcome() == Outcome.UNKNOWN) {
                Position now = position(jobId);
                save(jobId, new Position(now.acked(), true, null));
            }
            throw new SendLoop.Retry(describe(e), f.after(), e);
        }
    }

    /** The events up to the first final status (what follows a job's end is not sent). */
    private static List<JobEvent> upToEnd(List<JobEvent> events) {
        for (int i = 0; i < events.size(); i++) {
            if (isFinal(events.get(i))) {
                return events.subList(0, i + 1);
            }
        }
        return events;
    }

    private Position sendBatch(Job job, Position p, List<JobEvent> batch) {
        long from = batch.get(0).seq();
        long to = batch.get(batch.size() - 1).seq();
        try {
            send(job, batch);
        } catch (RuntimeException e) {
            Failure f = classify(e);
            if (f == null || f.outcome() != Outcome.SKIP) {
                if (f != null && f.outcome() == Outcome.GIVE_UP) {
                    throw new Abandon(describe(e));
                }
                throw e;
            }
            skipped(job.id(), from, to, describe(e));
        }
        Position next = new Position(to, false, null);
        save(job.id(), next);
        return next;
    }

    private void finish(Job job, Position p, Instant endedAt) {
        end(job, endedAt);
        save(job.id(), new Position(p.acked(), false, job.status().wireName()));
        lastSeen.remove(job.id());
    }

    private static boolean isFinal(JobEvent e) {
        if (!e.type().equals(JobEvent.TYPE_STATUS)) {
            return false;
        }
        Object to = e.data().get("to");
        if (to == null) {
            return false;
        }
        for (JobStatus s : JobStatus.values()) {
            if (s.wireName().equals(String.valueOf(to))) {
                return s.isTerminal();
            }
        }
        return false;
    }

    private static String describe(RuntimeException e) {
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    private void checkBacklog() {
        long waiting = 0;
        for (Map.Entry<String, Long> e : lastSeen.entrySet()) {
            Position p = position(e.getKey());
            waiting += Math.max(0, e.getValue() - p.acked());
            if (p.ended() != null) {
                lastSeen.remove(e.getKey());
            }
        }
        if (waiting > warnEvents && !warned) {
            warned = true;
            backlog(waiting, warnEvents);
        } else if (waiting <= warnEvents / 2) {
            warned = false;
        }
    }

    /** The receiver refused the job while its events were sent. */
    private static final class Abandon extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Abandon(String detail) {
            super(detail, null, false, false);
        }
    }
}
