package dev.koder.training.core;

import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobListener;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Page;
import dev.koder.training.api.Subscription;
import dev.koder.training.spi.JobRecord;
import dev.koder.training.spi.JobStore;
import dev.koder.training.spi.TrackingContext;
import dev.koder.training.spi.TrackingSink;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands stored events to listeners and tracking sinks (among them the {@link UsageFeed} of the usage sinks) on one
 * thread, so that each sees a job's events in order and a slow one never holds up a trainer. A failing listener or
 * sink is logged and skipped.
 */
final class EventBus implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EventBus.class);

    private final List<JobListener> listeners = new CopyOnWriteArrayList<>();
    private static final Set<JobStatus> UNFINISHED = Arrays.stream(JobStatus.values()).filter(s -> !s.isTerminal())
            .collect(Collectors.toCollection(() -> EnumSet.noneOf(JobStatus.class)));

    private final List<TrackingSink> tracking;
    /** Where listeners' events are read from, once {@link #follow} was called. */
    private volatile JobStore store;
    /** Since when someone listens: jobs made before are told from what comes next, later ones from the start. */
    private volatile Instant followingSince = Instant.now();
    /** The last event told to listeners, a job; on the events thread only. */
    private final Map<String, Long> heard = new HashMap<>();
    /** Jobs told of through the store that have not ended yet; on the events thread only. */
    private final Set<String> watched = new HashSet<>();
    /**
     * The last event told of the jobs that ended most recently, so that what this process publishes of them after
     * the store's poll told it is not told again; on the events thread only.
     */
    private final Map<String, Long> endedJobs = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
            return size() > ENDED_KEPT;
        }
    };
    private static final int ENDED_KEPT = 10_000;
    /**
     * Jobs whose end the store's poll told, with when: for a while they are still read, in case something is written
     * after the end (a checkpoint's registration that outlasted the end's wait, {@code training.registry.end-wait});
     * on the events thread only.
     */
    private final Map<String, Long> lingering = new HashMap<>();
    private static final long LINGER_NANOS = TimeUnit.SECONDS.toNanos(10);
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "training-events");
        t.setDaemon(true);
        return t;
    });

    EventBus(List<TrackingSink> tracking) {
        this.tracking = List.copyOf(tracking);
    }

    Subscription add(JobListener listener) {
        synchronized (listeners) {
            if (listeners.isEmpty()) {
                // a listener hears what happens from now on: nothing kept from an earlier time of listening
                followingSince = Instant.now();
                try {
                    thread.execute(() -> {
                        heard.clear();
                        watched.clear();
                        endedJobs.clear();
                        lingering.clear();
                    });
                } catch (RejectedExecutionException closing) {
                    // the bus is closing
                }
            }
            listeners.add(listener);
        }
        return () -> listeners.remove(listener);
    }

    void publish(Job job, List<JobEvent> events) {
        if (events.isEmpty()) {
            return;
        }
        thread.execute(() -> {
            if (!listeners.isEmpty()) {
                if (store == null) {
                    for (JobEvent e : events) {
                        tell(job, e);
                    }
                } else {
                    Long last = lastTold(job.id());
                    if (last == null || last == events.get(0).seq() - 1) {
                        // what listeners heard ends right before these (or nothing of the job yet): told as they are
                        told(job, events);
                    } else if (last < events.get(events.size() - 1).seq()) {
                        // other processes wrote in between: read from the store, so listeners hear every event once,
                        // in order (when the store's poll told these first, even as the job ended, none is left)
                        catchUp(job.id(), job, events);
                    }
                }
            }
            for (JobEvent e : events) {
                for (TrackingSink s : tracking) {
                    try {
                        s.onEvent(job, e);
                    } catch (RuntimeException ex) {
                        LOG.warn("tracking sink {} failed on event {} of {}: {}", s, e.seq(), job.id(), ex.toString());
                    }
                }
            }
        });
    }

    private void tell(Job job, JobEvent e) {
        for (JobListener l : listeners) {
            try {
                l.onEvent(job, e);
            } catch (RuntimeException ex) {
                LOG.warn("job listener {} failed on event {} of {}: {}", l, e.seq(), job.id(), ex.toString());
            }
        }
    }

    /**
     * Listeners hear what other processes write too (another service instance on a shared store, a worker seen
     * from a CLI): every poll interval, while anyone listens, the store is read for the events after the last one
     * told of each unfinished job. A job this process first sees through the store is told from its first event
     * when it was made after following began, else from what comes next.
     *
     * @param jobs the job store
     * @param every how often to look
     * @param timers where to schedule it
     */
    void follow(JobStore jobs, Duration every, ScheduledExecutorService timers) {
        this.store = jobs;
        timers.scheduleWithFixedDelay(() -> {
            if (!listeners.isEmpty()) {
                try {
                    thread.execute(this::poll);
                } catch (RejectedExecutionException closing) {
                    // the bus is closing
                }
            }
        }, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void poll() {
        if (listeners.isEmpty()) {
            return;
        }
        try {
            Set<String> ids = new LinkedHashSet<>(store.idsByStatus(UNFINISHED));
            ids.addAll(watched);
            for (String id : ids) {
                if (!heard.containsKey(id)) {
                    Long before = endedJobs.remove(id);
                    if (before != null) {
                        // ended, then moved on again (resumed): told from where its end left off
                        heard.put(id, before);
                    } else {
                        Optional<JobRecord> r = store.find(id);
                        if (r.isEmpty()) {
                            continue;
                        }
                        heard.put(id, r.get().job().createdAt().isBefore(followingSince) ? newest(id) : 0L);
                    }
                }
                watched.add(id);
                catchUp(id, null, List.of());
            }
            long now = System.nanoTime();
            for (String id : List.copyOf(lingering.keySet())) {
                if (now - lingering.get(id) > LINGER_NANOS || !endedJobs.containsKey(id)) {
                    lingering.remove(id);
                } else if (!ids.contains(id)) {
                    catchUp(id, null, List.of());
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("cannot read the job store for events other processes wrote: {}", e.toString());
        }
    }

    private long newest(String id) {
        long last = 0;
        String after = "0";
        while (after != null) {
            Page<JobEvent> page = store.events(id, Long.parseLong(after), 1000);
            if (!page.items().isEmpty()) {
                last = page.items().get(page.items().size() - 1).seq();
            }
            after = page.nextCursor();
        }
        return last;
    }

    private void told(Job job, List<JobEvent> events) {
        boolean ended = false;
        for (JobEvent e : events) {
            tell(job, e);
            ended |= isEnd(e);
        }
        settle(job.id(), events.get(events.size() - 1).seq(), ended);
    }

    /** @return the last event of a job told to listeners, whether or not it has ended; null when none was */
    private Long lastTold(String id) {
        Long last = heard.get(id);
        return last != null ? last : endedJobs.get(id);
    }

    private void settle(String id, long last, boolean end) {
        if (end || endedJobs.containsKey(id)) {
            heard.remove(id);
            if (watched.remove(id)) {
                lingering.put(id, System.nanoTime());
            }
            endedJobs.put(id, last);
        } else {
            heard.put(id, last);
        }
    }

    /** Tells the listeners a job's events after the last told, from the store; on a failure, what was published. */
    private void catchUp(String id, Job job, List<JobEvent> published) {
        Long told = lastTold(id);
        long after = told == null ? 0L : told;
        boolean ended = false;
        try {
            Job current = job;
            String cursor;
            do {
                Page<JobEvent> page = store.events(id, after, 1000);
                if (!page.items().isEmpty() && current == null) {
                    current = store.find(id).map(JobRecord::job).orElse(null);
                    if (current == null) {
                        return;
                    }
                }
                for (JobEvent e : page.items()) {
                    tell(current, e);
                    after = e.seq();
                    ended |= isEnd(e);
                }
                cursor = page.nextCursor();
            } while (cursor != null);
        } catch (RuntimeException e) {
            LOG.warn("cannot read job {}'s events from the store; telling listeners what this process wrote: {}", id,
                    e.toString());
            for (JobEvent x : published) {
                if (x.seq() > after) {
                    tell(job, x);
                    after = x.seq();
                    ended |= isEnd(x);
                }
            }
        }
        settle(id, after, ended);
    }

    private static boolean isEnd(JobEvent e) {
        if (!e.type().equals(JobEvent.TYPE_STATUS)) {
            return false;
        }
        String to = String.valueOf(e.data().get("to"));
        return Arrays.stream(JobStatus.values()).anyMatch(s -> s.isTerminal() && s.wireName().equals(to));
    }

    /**
     * Starts every tracking sink with its context; a sink that fails to start is logged and left out.
     *
     * @param contexts makes the context of a sink
     */
    void start(java.util.function.Function<TrackingSink, TrackingContext> contexts) {
        for (TrackingSink s : tracking) {
            try {
                s.start(contexts.apply(s));
            } catch (RuntimeException ex) {
                LOG.warn("tracking sink {} failed to start: {}", s, ex.toString());
            }
        }
    }

    void checkpointChanged(Checkpoint checkpoint) {
        thread.execute(() -> {
            for (TrackingSink s : tracking) {
                try {
                    s.onCheckpointChanged(checkpoint);
                } catch (RuntimeException ex) {
                    LOG.warn("tracking sink {} failed on checkpoint {}: {}", s, checkpoint.id(), ex.toString());
                }
            }
        });
    }

    void checkpointEvaluated(Checkpoint checkpoint, dev.koder.training.api.Evaluation evaluation) {
        thread.execute(() -> {
            for (TrackingSink s : tracking) {
                try {
                    s.onCheckpointEvaluated(checkpoint, evaluation);
                } catch (RuntimeException ex) {
                    LOG.warn("tracking sink {} failed on evaluation {}: {}", s, evaluation.id(), ex.toString());
                }
            }
        });
    }

    /** @param job a job @return what the tracking sinks say about it, one line each */
    List<String> describe(Job job) {
        List<String> lines = new ArrayList<>();
        for (TrackingSink s : tracking) {
            try {
                s.describe(job).ifPresent(lines::add);
            } catch (RuntimeException ex) {
                lines.add(s + ": cannot tell (" + ex.getMessage() + ")");
            }
        }
        return lines;
    }

    @Override
    public void close() {
        drain();
        for (AutoCloseable c : tracking) {
            closeSink(c);
        }
    }

    /**
     * Hands over what is queued and takes nothing more, leaving the sinks open: what they were told is in their
     * outboxes when this returns.
     */
    void drain() {
        thread.shutdown();
        try {
            if (!thread.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("job listeners did not finish within 10 s; dropping what is left");
                thread.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeSink(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            LOG.warn("closing {} failed: {}", c, e.toString());
        }
    }
}
