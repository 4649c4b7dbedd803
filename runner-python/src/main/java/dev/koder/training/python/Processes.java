package dev.koder.training.python;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** Runs short helper processes (venv, pip, probes): output streamed line by line, a time limit, the tail kept. */
final class Processes {

    /** How a helper process ended: exit code and its last lines of output. */
    record Result(int code, List<String> tail, String output) {
    }

    private Processes() {
    }

    static Result run(List<String> command, Map<String, String> env, Path dir, Duration limit,
            Consumer<String> lines) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        if (dir != null) {
            pb.directory(dir.toFile());
        }
        pb.environment().putAll(env);
        Process p = pb.start();
        Thread watchdog = new Thread(() -> {
            try {
                if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "helper-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        long started = System.nanoTime();
        Deque<String> tail = new ArrayDeque<>();
        StringBuilder all = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                lines.accept(line);
                if (all.length() < 1_000_000) {
                    all.append(line).append('\n');
                }
                tail.addLast(line);
                if (tail.size() > 30) {
                    tail.removeFirst();
                }
            }
        }
        try {
            p.waitFor();
            watchdog.interrupt();
            if (System.nanoTime() - started >= limit.toNanos()) {
                throw new IOException(String.join(" ", command.subList(0, Math.min(3, command.size())))
                        + " ran past " + limit.toMinutes() + " minutes and was stopped");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + command.get(0), e);
        }
        return new Result(p.exitValue(), List.copyOf(tail), all.toString());
    }
}
