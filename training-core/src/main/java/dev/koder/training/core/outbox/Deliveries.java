package dev.koder.training.core.outbox;

import dev.koder.training.spi.Backoff;
import dev.koder.training.spi.Delivery;
import dev.koder.training.spi.OutboundSink;
import dev.koder.training.spi.Outbox;
import dev.koder.training.spi.OutboxMessage;
import dev.koder.training.spi.OutboxStore;
import dev.koder.training.spi.SendLoop;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
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

    private final OutboxStore store;
    private final Clock clock;
    private final Backoff backoff;
    private final long maxPending;
    private final Duration poll;
    private final Duration closeWait;
    private final List<Sender> senders = new CopyOnWriteArrayList<>();
    private final Set<String> names = ConcurrentHashMap.newKeySet();
    private volatile boolean sending;

    /**
     * @param store the outboxes
     * @param clock the time
     * @param backoff the wait after failed tries of one message (doubling, jittered)
     * @param maxPending the most unsent messages one sink's outbox holds; more are dropped with a warning
     * @param poll how often a sender looks for messages appended by other processes
     * @param closeWait how long closing may spend sending what waits
     */
    public Deliveries(OutboxStore store, Clock clock, Backoff backoff, long maxPending, Duration poll,
            Duration closeWait) {
        this.store = store;
        this.clock = clock;
        this.backoff = backoff;
        this.maxPending = maxPending;
        this.poll = poll;
        this.closeWait = closeWait;
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
        if (!names.add(name)) {
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
    public synchronized void startSending() {
        if (sending) {
            return;
        }
        sending = true;
        senders.forEach(Sender::start);
    }

    /** @return one line a sink: what waits, what is dead, the last failure */
    public List<String> describe() {
        return senders.stream().map(Sender::describe).toList();
    }

    /**
     * Sends what waits, until every outbox is empty or the close wait is over (through failures, with backoff), then
     * stops the delivery threads; what is not sent waits in the outbox for the next start. A process that sent
     * nothing so far (the command line approving a checkpoint) sends now, so a command's changes reach the receivers
     * when it ends, not when a worker next looks; a worker sending the same message at the same time sends it twice
     * under one key, which receivers deduplicate.
     */
    @Override
    public void close() {
        for (Sender s : senders) {
            if (s.pending() > 0) {
                s.start();
            }
            s.beginClose();
        }
        for (Sender s : senders) {
            if (!s.close()) {
                LOG.info("outbox '{}': {} message(s) wait for the next start", s.name, s.pending());
            }
        }
    }

    /** One sink's outbox and delivery thread. */
    private final class Sender extends SendLoop implements Outbox {
        private final String name;
        private final OutboundSink sink;
        private final AtomicLong dropped = new AtomicLong();
        private volatile long warnedAt;

        Sender(String name, OutboundSink sink) {
            super("training-outbox-" + name, backoff, poll, closeWait);
            this.name = name;
            this.sink = sink;
        }

        @Override
        public boolean append(OutboxMessage message) {
            OutboxStore.Appended a = store.append(name, message, maxPending);
            if (a == OutboxStore.Appended.FULL) {
                long n = dropped.incrementAndGet();
                long now = System.nanoTime();
                if (warnedAt == 0 || now - warnedAt > TimeUnit.MINUTES.toNanos(1)) {
                    warnedAt = now;
                    LOG.warn("outbox '{}' holds {} unsent messages, its limit (training.outbox.max-pending): {} "
                            + "dropped so far, the last {} {}; is the receiver down? {}", name, maxPending, n,
                            message.type(), message.key(), failing() == null ? "" : "last failure: " + failing());
                }
                return false;
            }
            wake();
            return true;
        }

        @Override
        public long pending() {
            return store.pending(name);
        }

        String describe() {
            long waiting = pending();
            long dead = store.dead(name);
            return "outbox " + name + ": " + waiting + " waiting" + (dead > 0 ? ", " + dead + " refused for good" : "")
                    + (dropped.get() > 0 ? ", " + dropped.get() + " dropped when full" : "")
                    + (failing() != null && waiting > 0 ? "; last failure: " + failing() : "");
        }

        /** The oldest waiting messages, each tried once in order; a failed try ends the round, to be run again. */
        @Override
        protected boolean round() {
            List<OutboxStore.Pending> batch = store.next(name, 50);
            for (OutboxStore.Pending p : batch) {
                Delivery d;
                try {
                    d = sink.deliver(p.message(), p.attempts() + 1);
                } catch (RuntimeException e) {
                    d = Delivery.retry(e.toString(), null);
                }
                Instant now = clock.instant();
                if (d.outcome() == Delivery.Outcome.SENT) {
                    store.finish(name, p.seq(), "sent", null, now);
                } else if (d.outcome() == Delivery.Outcome.REJECTED) {
                    store.finish(name, p.seq(), "dead", d.detail(), now);
                    LOG.warn("outbox '{}': {} {} refused for good, kept as dead: {}", name, p.message().type(),
                            p.message().key(), d.detail());
                } else {
                    store.failed(name, p.seq(), d.detail());
                    throw new Retry(p.message().type() + " " + p.message().key() + ": " + d.detail(), d.retryAfter(),
                            null);
                }
            }
            return !batch.isEmpty();
        }

        @Override
        protected boolean idle() {
            return pending() == 0;
        }

        @Override
        protected void failed(String detail, boolean first, boolean unexpected) {
            if (first) {
                LOG.warn("outbox '{}': sending failed ({}); trying again with backoff, later messages wait", name,
                        detail);
            }
        }

        @Override
        protected void recovered() {
            LOG.info("outbox '{}': the receiver takes messages again; {} waiting", name, pending());
        }
    }
}
