package dev.koder.training.tck;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the kits of the store's parts share: a folder for the test, objects opened on one place that stand for
 * instances sharing a store (what one writes, another must read), all closed after each test.
 *
 * @param <T> the part under test
 */
public abstract class StoreKit<T extends AutoCloseable> {

    /** A folder the part may use; the same for every {@link #openStore(Path)} call of one test. */
    @TempDir
    protected Path dir;

    private final List<T> opened = new ArrayList<>();

    /**
     * @param dir the test's folder
     * @return a new object of the part (as a new instance would open); every one opened in one test must share what
     *     the others write
     */
    protected abstract T openStore(Path dir);

    /** @return a new object of the part on the test's place, closed after the test */
    protected final T store() {
        T s = openStore(dir);
        opened.add(s);
        return s;
    }

    /**
     * Runs tasks at once, each on a thread of its own, released together, as instances racing for one change.
     *
     * @param n how many
     * @param task the task of each, by its index
     * @param <R> what a task answers
     * @return the answers, by index
     * @throws Exception what a task threw, or a timeout after 30 s
     */
    protected static <R> List<R> race(int n, IntFunction<Callable<R>> task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<R>> tries = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Callable<R> c = task.apply(i);
                tries.add(pool.submit(() -> {
                    go.await();
                    return c.call();
                }));
            }
            go.countDown();
            List<R> out = new ArrayList<>();
            for (Future<R> f : tries) {
                out.add(f.get(30, TimeUnit.SECONDS));
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    @AfterEach
    void closeAll() throws Exception {
        for (T t : opened) {
            t.close();
        }
    }
}
