package dev.koder.training.core;

import dev.koder.training.api.EventLevel;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Tier;
import dev.koder.training.spi.Backoff;
import dev.koder.training.spi.JobEventStream;
import dev.koder.training.spi.NewEvent;
import dev.koder.training.spi.TrackingContext;
import dev.koder.training.spi.TrackingSink;
import dev.koder.training.spi.UsageRecord;
import dev.koder.training.spi.UsageSink;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands usage records to the usage sinks from the job store. An attempt's usage is stored as an event in the same
 * transaction as the attempt's end ({@link #event}), and this feed, a {@link JobEventStream} with its cursor per job
 * in the home's database, reads it back and calls every sink. A process killed between the job's end and the hand-
 * over therefore loses nothing: the next worker's feed picks up at the cursor. A sink is called at least once per
 * record; one whose record goes through an outbox keyed by {@link UsageRecord#key()} (the shipped webhook) holds it
 * once. A sink that throws is logged and passed, as before.
 */
final class UsageFeed implements TrackingSink {

    private static final Logger LOG = LoggerFactory.getLogger(UsageFeed.class);

    private final List<UsageSink> sinks;
    private final Stream stream;

    /**
     * @param sinks the usage sinks
     * @param poll how often running jobs' new events are looked at (an end is handed over at once)
     * @param closeWait how long a closing service keeps handing over
     */
    UsageFeed(List<UsageSink> sinks, Duration poll, Duration closeWait) {
        this.sinks = List.copyOf(sinks);
        this.stream = new Stream(poll, closeWait);
    }

    /**
     * @param record what an attempt used
     * @param time when the attempt ended
     * @return the event that stores it, with a line for people
     */
    static NewEvent event(UsageRecord record, Instant time) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("attempt", record.attempt());
        d.put("gpu_type", record.gpuType());
        d.put("gpus", record.gpus());
        d.put("gpu_seconds", record.gpuSeconds());
        d.put("wall_seconds", record.wallSeconds());
        d.put("tokens", record.tokens());
        d.put("started_at", record.startedAt().toString());
        d.put("ended_at", record.endedAt().toString());
        d.put("outcome", record.outcome().wireName());
        if (record.tier() != null) {
            d.put("tier", record.tier().wireName());
        }
        if (record.pricePerGpuHour() != null) {
            d.put("price_per_gpu_hour", record.pricePerGpuHour());
        }
        d.put("currency", record.currency());
        String cost = record.cost() == null ? "" : String.format(Locale.ROOT, ", %.4f %s", record.cost(),
                record.currency());
        String message = String.format(Locale.ROOT, "attempt %d used %.4f GPU-hours (%d x %s, %.0f s)%s",
                record.attempt(), record.gpuHours(), record.gpus(), record.gpuType(), record.wallSeconds(), cost);
        return new NewEvent(time, EventLevel.INFO, JobEvent.TYPE_USAGE, message, d);
    }

    /**
     * @param job the job
     * @param e one of its usage events
     * @return the record it stores
     */
    static UsageRecord record(Job job, JobEvent e) {
        Map<String, Object> d = e.data();
        Object price = d.get("price_per_gpu_hour");
        return new UsageRecord(job.spec().tenant(), job.id(), number(d, "attempt").intValue(),
                String.valueOf(d.get("gpu_type")), number(d, "gpus").intValue(), number(d, "gpu_seconds").doubleValue(),
                number(d, "wall_seconds").doubleValue(), number(d, "tokens").longValue(),
                Instant.parse(String.valueOf(d.get("started_at"))), Instant.parse(String.valueOf(d.get("ended_at"))),
                status(String.valueOf(d.get("outcome"))), d.get("tier") == null ? null : tier(String.valueOf(
                        d.get("tier"))), price instanceof Number n ? n.doubleValue() : null,
                d.get("currency") == null ? "USD" : String.valueOf(d.get("currency")));
    }

    private static Number number(Map<String, Object> d, String key) {
        if (d.get(key) instanceof Number n) {
            return n;
        }
        throw new IllegalArgumentException("a usage event without a number under '" + key + "': " + d);
    }

    private static JobStatus status(String wire) {
        for (JobStatus s : JobStatus.values()) {
            if (s.wireName().equals(wire)) {
                return s;
            }
        }
        throw new IllegalArgumentException("a usage event with an unknown outcome '" + wire + "'");
    }

    private static Tier tier(String wire) {
        for (Tier t : Tier.values()) {
            if (t.wireName().equals(wire)) {
                return t;
            }
        }
        return null;
    }

    @Override
    public void start(TrackingContext context) {
        stream.start(context);
    }

    @Override
    public void onEvent(Job job, JobEvent event) {
        // a job's first event writes its cursor; after that only its usage and its end matter
        if (event.type().equals(JobEvent.TYPE_USAGE) || event.type().equals(JobEvent.TYPE_STATUS)) {
            stream.onEvent(job, event);
        }
        if (event.type().equals(JobEvent.TYPE_USAGE)) {
            stream.wake();
        }
    }

    /** Hands over what is left, within the close wait, leaving the sinks open (their outboxes are sent after). */
    void flush() {
        if (!stream.close()) {
            LOG.warn("usage of jobs {} is not handed to the usage sinks yet; the next worker on the home does it",
                    stream.pending());
        }
    }

    /** Hands over what is left, then closes the sinks. */
    @Override
    public void close() {
        flush();
        for (UsageSink s : sinks) {
            try {
                s.close();
            } catch (Exception e) {
                LOG.warn("closing usage sink {} failed: {}", s, e.toString());
            }
        }
    }

    @Override
    public String toString() {
        return "usage feed " + sinks;
    }

    private final class Stream extends JobEventStream {

        Stream(Duration poll, Duration closeWait) {
            super("training-usage", new Backoff(Duration.ofMillis(200), Duration.ofSeconds(30)), poll, closeWait,
                    Long.MAX_VALUE);
        }

        @Override
        protected void open(Job job) {
            // nothing to begin: the sinks take records one by one
        }

        @Override
        protected int fit(Job job, List<JobEvent> events) {
            return events.size();
        }

        @Override
        protected void send(Job job, List<JobEvent> events) {
            for (JobEvent e : events) {
                if (!e.type().equals(JobEvent.TYPE_USAGE)) {
                    continue;
                }
                UsageRecord r;
                try {
                    r = record(job, e);
                } catch (RuntimeException bad) {
                    LOG.warn("job {}: usage event {} cannot be read and is passed: {}", job.id(), e.seq(),
                            bad.getMessage());
                    continue;
                }
                for (UsageSink s : sinks) {
                    try {
                        s.record(r);
                    } catch (RuntimeException ex) {
                        LOG.warn("usage sink {} failed on job {}: {}", s, r.jobId(), ex.toString());
                    }
                }
            }
        }

        @Override
        protected void end(Job job, Instant endedAt) {
            // the last usage was handed over with the final status
        }

        @Override
        protected Failure classify(RuntimeException failure) {
            return null;
        }

        @Override
        protected void failed(String detail, boolean first, boolean unexpected) {
            if (first) {
                LOG.warn("handing usage to the usage sinks failed; trying again: {}", detail);
            }
        }
    }
}
