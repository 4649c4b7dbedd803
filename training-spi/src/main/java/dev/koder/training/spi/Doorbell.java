package dev.koder.training.spi;

import java.time.Duration;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A wait another thread can cut short: how the service's senders (the outboxes', MLflow's) sleep between polls and
 * through a backoff, and are woken when there is work or when they should stop. A ring that comes before the wait
 * is not lost: the next {@link #await} returns at once.
 */
final class Doorbell {

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition rung = lock.newCondition();
    private boolean pending;

    /** Wakes the waiting thread, or the next one to wait. */
    void ring() {
        lock.lock();
        try {
            pending = true;
            rung.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until the bell rings (or rang since the last wait) or the time is up. An interrupt ends the wait and is
     * kept on the thread.
     *
     * @param d the longest wait
     * @return whether it rang
     */
    boolean await(Duration d) {
        lock.lock();
        try {
            long left = d.toNanos();
            while (!pending && left > 0) {
                left = rung.awaitNanos(left);
            }
            boolean was = pending;
            pending = false;
            return was;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            lock.unlock();
        }
    }
}
