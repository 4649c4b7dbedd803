package dev.koder.training.core.outbox;

import dev.koder.training.core.store.SqliteOutbox;
import dev.koder.training.spi.Backoff;
import dev.koder.training.spi.Delivery;
import dev.koder.training.spi.Doorbell;
import dev.koder.training.spi.OutboundSink;
import dev.koder.training.spi.Outbox;
import dev.koder.training.spi.OutboxMessage;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one reliable delivery of the service: each {@link OutboundSink} gets a durable {@link Outbox}, and, in the
 * process that runs the jobs, a thread that hands its messages back to it oldest first. A try that fails is made
 * again after a backoff before any later message, so a receiver sees a sink's messages in the order they were
 * appended; a message is marked sent only after the sink says the receiver has it, so nothing is lost to a crash
 * of either side, and a receiver that deduplicates by key sees each once.
 */
public final class Deliveries implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Deliveries.class);
    /** How long sent messages are remembered, so the same key appended again is not sent again. */
    static final Duration REMEMBER_SENT = Duration.ofDays(7);

    private final SqliteOutbox store;
    private final Clock clock;
    private final Backoff backoff;
    private final long maxPending;
    private final Duration poll;
    private final List<Sender> senders = new CopyOnWriteArrayList<>();
    private final Map<String, OutboundSink> names = new ConcurrentHashMap<>();
    private volatile boolean sending;

    /**
     * @param store the outboxes
     * @param clock the time
     * @param backoff the wait after failed tries of one message (doubling, jittered)
     * @param maxPending the most unsent messages one sink's outbox holds; more are dropped with a warning
     * @param poll how often a sender looks for messages appended by other processes
     */
    public Deliveries(SqliteOutbox store, Clock clock, Backoff backoff, long maxPending, Duration poll) {
        this.store = store;
        this.clock = clock;
        this.backoff = backoff;
        this.maxPending = maxPending;
        this.poll = poll;
        store.prune(clock.instant().minus(REMEMBER_SENT));
    }

    /**
     * Gives a sink its outbox and calls its {@link OutboundSink#start}.
     *
     * @param sink the sink
     * @throws IllegalStateException when another sink has the same outbox name
     */
    public void open(OutboundSink sink) {
        String name = sink.outboxName();
        if (names.putIfAbsent(name, sink) != null) {
            throw new IllegalStateException("two sinks share the outbox name '" + name + "'; give each its own");
        }
        Sender sender = new Sender(name, sink);
        senders.add(sender);
        sink.start(sender);
        if (sending) {
            sender.start();
        }
    }

    /** Starts a delivery thread for every sink: call in the process that runs the jobs, once. */
    public void startSending() {
        sending = true;
        senders.forEach(Sender::start);
    }

    /** @return one line a sink: what waits, what is dead, the last failure */
    public List<String> describe() {
        return senders.stream().map(Sender::describe).toList();
    }

    /**
     * Stops the delivery threads: the try in flight may finish within a few seconds; what is not sent waits in the
     * outbox for the next start. A process that sends nothing (the command line approving a checkpoint) first
     * sends what waits, on its own thread, until a try fails or the wait is over: a command's changes reach the
     * receivers when it ends, not when a worker next looks. A worker sending the same message at the same time
     * sends it twice under one key, which receivers deduplicate.
     *
     * @param flush how long a process that sends nothing may spend sending what waits
     */
    public void close(Duration flush) {
        if (!sending) {
            long deadline = System.nanoTime() + flush.toNanos();
            for (Sender s : senders) {
                s.drain(deadline);
            }
        }
        senders.forEach(Sender::stop);
        for (Sender s : senders) {
            s.join(Duration.ofSeconds(10));
        }
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(5));
    }

    /** One sink's outbox and delivery thread. */
    private final class Sender implements Outbox {
        private final String name;
        private final OutboundSink sink;
        private final Doorbell bell = new Doorbell();
        private final AtomicLong dropped = new AtomicLong();
        private volatile long warnedAt;
        private volatile boolean stopping;
        private volatile String lastError;
        private volatile Duration retryAfter;
        private Thread thread;

        Sender(String name, OutboundSink sink) {
            this.name = name;
            this.sink = sink;
        }

        @Override
        public boolean append(OutboxMessage message) {
            SqliteOutbox.Appended a = store.append(name, message, maxPending);
            if (a == SqliteOutbox.Appended.FULL) {
                long n = dropped.incrementAndGet();
                long now = System.nanoTime();
                if (warnedAt == 0 || now - warnedAt > TimeUnit.MINUTES.toNanos(1)) {
                    warnedAt = now;
                    LOG.warn("outbox '{}' holds {} unsent messages, its limit (training.outbox.max-pending): {} "
                            + "dropped so far, the last {} {}; is the receiver down? {}", name, maxPending, n,
                            message.type(), message.key(), lastError == null ? "" : "last failure: " + lastError);
                }
                return false;
            }
            signal();
            return true;
        }

        @Override
        public long pending() {
            return store.pending(name);
        }

        synchronized void start() {
            if (thread != null) {
                return;
            }
            thread = new Thread(this::run, "training-outbox-" + name);
            thread.setDaemon(true);
            thread.start();
        }

        void stop() {
            stopping = true;
            signal();
        }

        void join(Duration d) {
            Thread t;
            synchronized (this) {
                t = thread;
            }
            if (t == null) {
                return;
            }
            try {
                t.join(d.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (t.isAlive()) {
                t.interrupt();
            }
        }

        String describe() {
            long waiting = pending();
            long dead = store.dead(name);
            return "outbox " + name + ": " + waiting + " waiting" + (dead > 0 ? ", " + dead + " refused for good" : "")
                    + (dropped.get() > 0 ? ", " + dropped.get() + " dropped when full" : "")
                    + (lastError != null && waiting > 0 ? "; last failure: " + lastError : "");
        }

        private void signal() {
            bell.ring();
        }

        private void await(Duration d) {
            if (!stopping) {
                bell.await(d);
            }
            if (Thread.currentThread().isInterrupted()) {
                stopping = true;
            }
        }

        /** Sends what waits, in order, until it is all sent, a try fails or the time is up. */
        void drain(long deadline) {
            List<SqliteOutbox.Pending> batch;
            try {
                batch = store.next(name, 1000);
            } catch (RuntimeException e) {
                LOG.warn("outbox '{}': cannot read it before exit: {}", name, e.getMessage());
                return;
            }
            if (batch.isEmpty()) {
                return;
            }
            for (SqliteOutbox.Pending p : batch) {
                if (System.nanoTime() > deadline || !handle(p)) {
                    LOG.info("outbox '{}': {} message(s) wait for the process that runs the jobs", name, pending());
                    return;
                }
            }
        }

        /** One try of one message, its outcome stored; false when it is to be tried again. */
        private boolean handle(SqliteOutbox.Pending p) {
            Delivery d;
            try {
                d = sink.deliver(p.message(), p.attempts() + 1);
            } catch (RuntimeException e) {
                d = Delivery.retry(e.toString(), null);
            }
            Instant now = clock.instant();
            if (d.outcome() == Delivery.Outcome.SENT) {
                store.finish(name, p.seq(), "sent", null, now);
                return true;
            }
            if (d.outcome() == Delivery.Outcome.REJECTED) {
                store.finish(name, p.seq(), "dead", d.detail(), now);
                LOG.warn("outbox '{}': {} {} refused for good, kept as dead: {}", name, p.message().type(),
                        p.message().key(), d.detail());
                return true;
            }
            store.failed(name, p.seq(), d.detail());
            lastError = d.detail();
            retryAfter = d.retryAfter();
            return false;
        }

        private void run() {
            int failures = 0;
            while (!stopping) {
                List<SqliteOutbox.Pending> batch;
                try {
                    batch = store.next(name, 50);
                } catch (RuntimeException e) {
                    LOG.warn("outbox '{}': cannot read it: {}", name, e.getMessage());
                    await(backoff.delay(Math.min(failures++, 20)));
                    continue;
                }
                if (batch.isEmpty()) {
                    await(poll);
                    continue;
                }
                for (SqliteOutbox.Pending p : batch) {
                    if (stopping) {
                        return;
                    }
                    if (handle(p)) {
                        if (failures > 0) {
                            LOG.info("outbox '{}': the receiver takes messages again; {} waiting", name, pending());
                        }
                        failures = 0;
                        lastError = null;
                        continue;
                    }
                    Duration wait = retryAfter != null && retryAfter.compareTo(backoff.max()) <= 0 ? retryAfter
                            : backoff.jittered(Math.min(failures, 20));
                    if (failures == 0) {
                        LOG.warn("outbox '{}': sending {} {} failed ({}); trying again with backoff, later messages "
                                + "wait", name, p.message().type(), p.message().key(), lastError);
                    }
                    failures++;
                    await(wait);
                    break;
                }
            }
        }
    }
}
