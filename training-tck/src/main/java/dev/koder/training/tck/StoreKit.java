package dev.koder.training.tck;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

    @AfterEach
    void closeAll() throws Exception {
        for (T t : opened) {
            t.close();
        }
    }
}
