package dev.koder.training.core;

import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobListener;
import dev.koder.training.api.Subscription;
import dev.koder.training.api.Checkpoint;
import dev.koder.training.spi.TrackingContext;
import dev.koder.training.spi.TrackingSink;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
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
    private final List<TrackingSink> tracking;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "training-events");
        t.setDaemon(true);
        return t;
    });

    EventBus(List<TrackingSink> tracking) {
        this.tracking = List.copyOf(tracking);
    }

    Subscription add(JobListener listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    void publish(Job job, List<JobEvent> events) {
        if (events.isEmpty()) {
            return;
        }
        thread.execute(() -> {
            for (JobEvent e : events) {
                for (JobListener l : listeners) {
                    try {
                        l.onEvent(job, e);
                    } catch (RuntimeException ex) {
                        LOG.warn("job listener {} failed on event {} of {}: {}", l, e.seq(), job.id(), ex.toString());
                    }
                }
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
