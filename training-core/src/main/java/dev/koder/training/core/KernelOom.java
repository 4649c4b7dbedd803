package dev.koder.training.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Evidence that the kernel's out-of-memory killer acted on a trainer while an attempt ran: the kernel log gained a
 * line saying it killed one of the trainer's processes (a kill of any other process on the host, or in a cgroup the
 * trainer shares with the service, is not the trainer's). A trainer run in a memory cgroup of its own has better
 * evidence, that cgroup's own counter ({@code Execution.oomKills}). A trainer killed by SIGKILL with such evidence ran
 * the host (or its container) out of memory; without it, something else killed it. Where the kernel log cannot be read
 * (no permission), there is no evidence either way, and the failure says so.
 */
final class KernelOom {

    /** The kernel log's lines about an out-of-memory kill (global or in a memory cgroup), with the victim's pid. */
    static final Pattern KILLED = Pattern.compile("(?:Out of memory|Memory cgroup out of memory): Killed process "
            + "(\\d+) \\(([^)]*)\\)|oom-kill:.*\\bpid=(\\d+)");

    /** A kernel log line's timestamp, {@code [  812.334123]} (seconds since boot). */
    private static final Pattern STAMP = Pattern.compile("^\\[\\s*(\\d+\\.\\d+)\\]");

    /**
     * Where the kernel log ended when an attempt started: the time of its last line (the
     * log is a ring buffer, which on a host that ran for a while is full, so its length stops growing), and the line
     * itself for a log printed without times.
     */
    record Mark(double logTime, String lastLine) {
    }

    private KernelOom() {
    }

    /** @return where the kernel log ends now */
    static Mark mark() {
        List<String> log = kernelLog();
        String last = log.isEmpty() ? null : log.get(log.size() - 1);
        return new Mark(last == null ? -1 : time(last), last);
    }

    /** @return the lines the kernel logged after the mark */
    static List<String> after(List<String> log, Mark mark) {
        if (mark.logTime() >= 0) {
            return log.stream().filter(l -> time(l) > mark.logTime()).toList();
        }
        int at = mark.lastLine() == null ? -1 : log.lastIndexOf(mark.lastLine());
        return at < 0 ? log : log.subList(at + 1, log.size());
    }

    private static double time(String line) {
        Matcher m = STAMP.matcher(line);
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }

    /**
     * @param since where things stood when the attempt started
     * @param trainer the processes the trainer was seen to run (it and its children)
     * @return what shows that the out-of-memory killer acted on the trainer since, in words: the kernel log names one
     *     of its processes; empty when nothing does
     */
    static Optional<String> since(Mark since, java.util.Set<Long> trainer) {
        // Only what names the trainer counts: the kernel log's line about one of its processes. (The counter of the
        // cgroup the service and the trainer share would count a kill of any process in it; a trainer in a memory
        // cgroup of its own has its own counter, which the supervisor reads from the execution.)
        return fromLog(after(kernelLog(), since), trainer);
    }

    /**
     * @param lines kernel log lines
     * @param trainer the trainer's processes; a kill of any other process is not its evidence
     * @return the first line that records an out-of-memory kill of one of them, described
     */
    static Optional<String> fromLog(List<String> lines, java.util.Set<Long> trainer) {
        for (String line : lines) {
            Matcher m = KILLED.matcher(line);
            if (m.find()) {
                String pid = m.group(1) != null ? m.group(1) : m.group(3);
                if (!trainer.contains(Long.parseLong(pid))) {
                    continue;
                }
                String name = m.group(2) != null ? " (" + m.group(2) + ")" : "";
                return Optional.of("the kernel log says it killed process " + pid + name + " for lack of memory");
            }
        }
        return Optional.empty();
    }

    /** @return the kernel log's lines, or none when it cannot be read (dmesg missing or not permitted) */
    static List<String> kernelLog() {
        try {
            Process p = new ProcessBuilder("dmesg").redirectErrorStream(false)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(5, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                return List.of();
            }
            return new ArrayList<>(List.of(new String(out, StandardCharsets.UTF_8).split("\n")));
        } catch (IOException e) {
            return List.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
    }
}
