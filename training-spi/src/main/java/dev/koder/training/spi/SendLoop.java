package dev.koder.training.spi;

import java.time.Duration;
import java.util.Objects;

/**
 * The one send loop of the service's senders (each outbox's, the MLflow sink's): a daemon thread that runs rounds
 * of work, waits between them until woken ({@link #wake}) or the poll interval is over, and after a failed round
 * backs off (doubling, or what the receiver asked) and runs the round again. A subclass hears of every failure (and
 * whether it is the first of a run of them) and of the recovery, to log and keep its health. On {@link #close} it
 * keeps running rounds, through failures, until nothing is left or the close wait is over.
 *
 * <p>A subclass says what a round is ({@link #round}) and when nothing is left to send ({@link #idle}); its state
 * (what was sent: a high-water mark, an outbox's rows) is its own and durable, so a round can always be run again.
 */
public abstract class SendLoop {

    /** A round failed and is to be run again, after the backoff or the wait the receiver asked for. */
    public static final class Retry extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient Duration after;

        /**
         * @param detail what failed, for the log and the subclass's health
         * @param after how long to wait, or null for the backoff
         * @param cause the failure, or null
         */
        public Retry(String detail, Duration after, Throwable cause) {
            super(detail, cause, false, false);
            this.after = after;
        }

        /** @return the wait the receiver asked for, or null */
        public Duration after() {
            return after;
        }
    }

    private final String name;
    private final Backoff backoff;
    private final Duration poll;
    private final Duration closeWait;
    private final Doorbell bell = new Doorbell();
    private volatile boolean closing;
    private volatile boolean stopped;
    private volatile String failing;
    private Thread thread;

    /**
     * @param name the thread's name, and the receiver's in the log
     * @param backoff the waits after failed rounds
     * @param poll the longest wait between rounds when nothing woke the loop
     * @param closeWait how long {@link #close} may keep sending
     */
    protected SendLoop(String name, Backoff backoff, Duration poll, Duration closeWait) {
        this.name = Objects.requireNonNull(name, "name");
        this.backoff = Objects.requireNonNull(backoff, "backoff");
        this.poll = Objects.requireNonNull(poll, "poll");
        this.closeWait = Objects.requireNonNull(closeWait, "closeWait");
    }

    /**
     * One round of sending.
     *
     * @return true to run the next round at once (more may wait), false to wait for a wake or the poll interval
     * @throws Retry when the receiver failed: the same work is tried again after a backoff
     */
    protected abstract boolean round();

    /** @return whether nothing is left to send: a closing loop stops then */
    protected abstract boolean idle();

    /**
     * A round failed; called on every failed round.
     *
     * @param detail what failed
     * @param first whether the rounds before it went through (so it is the one to log)
     * @param unexpected whether it was not a {@link Retry} but an exception the round did not expect
     */
    protected void failed(String detail, boolean first, boolean unexpected) {
    }

    /** A round went through after failed ones. */
    protected void recovered() {
    }

    /** @return what the receiver said last when it is failing, or null when it answers */
    public final String failing() {
        return failing;
    }

    /** @return whether {@link #close} was called */
    protected final boolean closing() {
        return closing;
    }

    /** Starts the thread; once. */
    public final synchronized void start() {
        if (thread != null) {
            return;
        }
        thread = new Thread(this::run, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Runs the next round now instead of at the end of the wait. */
    public final void wake() {
        bell.ring();
    }

    /** Starts closing without waiting: several loops closed together first all begin, then each {@link #close}. */
    public final void beginClose() {
        closing = true;
        bell.ring();
    }

    /**
     * Sends what is left until the loop is idle or the close wait is over, then stops the thread. What is not sent
     * stays where the subclass keeps it, for the next start.
     *
     * @return whether everything was sent
     */
    public final boolean close() {
        beginClose();
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t == null) {
            return idle();
        }
        try {
            t.join(closeWait.toMillis() + 200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (t.isAlive()) {
            stopped = true;
            t.interrupt();
            return false;
        }
        return true;
    }

    private void run() {
        int failures = 0;
        long closeBy = Long.MAX_VALUE;
        while (!stopped && !Thread.currentThread().isInterrupted()) {
            if (closing && closeBy == Long.MAX_VALUE) {
                closeBy = System.nanoTime() + closeWait.toNanos();
            }
            if (System.nanoTime() > closeBy) {
                return;
            }
            Duration wait;
            try {
                boolean more = round();
                if (failing != null) {
                    failing = null;
                    recovered();
                }
                failures = 0;
                if (closing && idle()) {
                    return;
                }
                if (more) {
                    continue;
                }
                wait = poll;
            } catch (Retry r) {
                boolean first = failing == null;
                failing = r.getMessage();
                failed(r.getMessage(), first, false);
                wait = r.after() != null && r.after().compareTo(backoff.max()) <= 0 ? r.after()
                        : backoff.jittered(Math.min(failures, 30));
                failures++;
            } catch (RuntimeException e) {
                boolean first = failing == null;
                failing = e.toString();
                failed(e.toString(), first, true);
                wait = backoff.delay(Math.min(failures++, 30));
            }
            if (closing) {
                long left = closeBy - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                wait = Duration.ofNanos(Math.min(left, wait.toNanos()));
            }
            bell.await(wait);
        }
    }
}
