package dev.koder.training.postgres;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waits for what other processes do. */
final class Await {

    private Await() {
    }

    /**
     * @param what what is waited for, for the failure
     * @param within how long at most
     * @param condition true once it happened
     * @throws AssertionError when it did not happen in time
     */
    static void until(String what, Duration within, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting: " + what);
            }
            Thread.sleep(100);
        }
    }
}
