package dev.koder.training.tck;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Scratch folders for test fixtures that outlive one test (a tiny model, a stand-in program, a stub library), so a
 * test run leaves nothing behind in the system's temporary folder.
 *
 * <p>Every folder sits under one folder per JVM: inside the module's {@code target} folder when the JVM runs in a
 * Maven module (so {@code mvn clean} removes whatever a killed JVM left), in the parent's when the JVM is a child
 * started by {@link KitProcess#java}, else in {@code java.io.tmpdir}. The JVM's folder is deleted when the JVM exits
 * normally.
 */
public final class ScratchDir {

    /**
     * The system property naming the folder to make this JVM's scratch root in; {@link KitProcess#java} sets it for
     * a child JVM to a folder in the parent's, so what a child killed with SIGKILL leaves goes with the parent.
     */
    public static final String PARENT = "dev.koder.training.tck.scratch-parent";

    private static Path root;

    private ScratchDir() {
    }

    /**
     * @param prefix the start of the folder's name, saying what it holds
     * @return a new, empty folder, deleted with the JVM's scratch root when the JVM exits
     */
    public static Path create(String prefix) {
        try {
            return Files.createTempDirectory(root(), prefix + "-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make a scratch folder under " + root, e);
        }
    }

    private static synchronized Path root() throws IOException {
        if (root == null) {
            String given = System.getProperty(PARENT);
            Path target = Path.of("target");
            Path parent = given != null ? Path.of(given)
                    : Files.isDirectory(target) ? target : Path.of(System.getProperty("java.io.tmpdir"));
            Path made = Files.createTempDirectory(parent, "scratch-" + ProcessHandle.current().pid() + "-")
                    .toAbsolutePath();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(made), "scratch-cleanup"));
            root = made;
        }
        return root;
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException | RuntimeException e) {
            // best effort at exit: what stays sits under target/ and goes with mvn clean
        }
    }
}
