package dev.koder.training.tck;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A tiny program the executor kit launches as a trainer stand-in. Modes:
 *
 * <ul>
 *   <li>{@code exit CODE}: prints to stdout and stderr, then exits with CODE;
 *   <li>{@code env NAME FILE}: writes the variable's value to FILE;
 *   <li>{@code tree PIDFILE MARKER}: starts a child that sleeps, writes both pids to PIDFILE, sleeps; on SIGTERM
 *       writes MARKER and exits with 143;
 *   <li>{@code orphan PIDFILE}: starts a child that sleeps, writes its pid to PIDFILE, exits 0 at once;
 *   <li>{@code sleep}: sleeps until killed;
 *   <li>{@code append FILE}: appends a line (its pid and launch token) to FILE, to count runs.
 * </ul>
 */
public final class KitProcess {

    private static Path childTmp;

    private KitProcess() {
    }

    /**
     * @param mainClassArgs the mode and its arguments
     * @return the command that runs this class in a new JVM with the current class path
     */
    public static List<String> command(String... mainClassArgs) {
        return java(List.of("-Xmx32m", "-XX:TieredStopAtLevel=1"), KitProcess.class, mainClassArgs);
    }

    /**
     * The command for a child JVM in a test: this JVM's {@code java} and class path, and a temporary folder (and
     * scratch root) inside this JVM's {@link ScratchDir}, so what a child leaves there (sqlite-jdbc's native library,
     * a scripted trainer) goes with the parent even when the child is killed with SIGKILL.
     *
     * @param options JVM options ({@code -Xmx..}, {@code -Dname=value}), put before the class path
     * @param mainClass the class to run
     * @param args its arguments
     * @return the command, a list the caller may add to
     */
    public static List<String> java(List<String> options, Class<?> mainClass, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        Path tmp = childTmp();
        cmd.add("-Djava.io.tmpdir=" + tmp);
        cmd.add("-D" + ScratchDir.PARENT + "=" + tmp);
        cmd.addAll(options);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass.getName()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static synchronized Path childTmp() {
        if (childTmp == null) {
            childTmp = ScratchDir.create("child-jvm-tmp");
        }
        return childTmp;
    }

    /**
     * @param args mode and arguments
     * @throws Exception on any failure (the kit then sees an exit code other than expected)
     */
    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "exit":
                System.out.println("to stdout");
                System.err.println("to stderr");
                System.exit(Integer.parseInt(args[1]));
                break;
            case "env":
                Files.writeString(Path.of(args[2]), String.valueOf(System.getenv(args[1])));
                break;
            case "tree":
                Process child = new ProcessBuilder(command("sleep")).inheritIO().start();
                Path marker = Path.of(args[2]);
                Runtime.getRuntime().addShutdownHook(new Thread(() -> write(marker, "terminated")));
                write(Path.of(args[1]), ProcessHandle.current().pid() + " " + child.pid());
                Thread.sleep(Long.MAX_VALUE);
                break;
            case "orphan":
                Process orphan = new ProcessBuilder(command("sleep")).inheritIO().start();
                write(Path.of(args[1]), String.valueOf(orphan.pid()));
                System.exit(0);
                break;
            case "sleep":
                Thread.sleep(Long.MAX_VALUE);
                break;
            case "append":
                // one line per run, to count runs
                Files.writeString(Path.of(args[1]), ProcessHandle.current().pid() + " "
                        + System.getenv("TRAINING_LAUNCH_TOKEN") + "\n", java.nio.file.StandardOpenOption.CREATE,
                        java.nio.file.StandardOpenOption.APPEND);
                break;
            default:
                throw new IllegalArgumentException("unknown mode " + args[0]);
        }
    }

    private static void write(Path file, String text) {
        try {
            Path tmp = Path.of(file + ".tmp");
            Files.writeString(tmp, text);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
