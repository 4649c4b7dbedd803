package dev.koder.training.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Evidence that the kernel's out-of-memory killer acted while an attempt ran: the {@code oom_kill} counter of
 * this process's memory cgroup (cgroup v2 {@code memory.events}, v1 {@code memory.oom_control}), which the trainer
 * inherits, went up, or the kernel log gained a line saying it killed one of the trainer's processes (a kill of
 * any other process on the host is not the trainer's). A trainer killed by SIGKILL with such evidence ran the
 * host (or its container) out of memory; without it, something else killed it. Where neither can be read (no
 * permission to read the kernel log, no memory cgroup), there is no evidence either way, and the failure says
 * so.
 */
final class KernelOom {

    /** The kernel log's lines about an out-of-memory kill (global or in a memory cgroup), with the victim's pid. */
    static final Pattern KILLED = Pattern.compile("(?:Out of memory|Memory cgroup out of memory): Killed process "
            + "(\\d+) \\(([^)]*)\\)|oom-kill:.*\\bpid=(\\d+)");

    /** A kernel log line's timestamp, {@code [  812.334123]} (seconds since boot). */
    private static final Pattern STAMP = Pattern.compile("^\\[\\s*(\\d+\\.\\d+)\\]");

    /**
     * Where the counters stood and where the kernel log ended when an attempt started: the time of its last line (the
     * log is a ring buffer, which on a host that ran for a while is full, so its length stops growing), and the line
     * itself for a log printed without times.
     */
    record Mark(long cgroupKills, double logTime, String lastLine) {
    }

    private static final List<Path> COUNTERS = List.of(Path.of("/sys/fs/cgroup/memory.events"),
            Path.of("/sys/fs/cgroup/memory/memory.oom_control"));

    private KernelOom() {
    }

    /** @return the counters and the kernel log's length now */
    static Mark mark() {
        List<String> log = kernelLog();
        String last = log.isEmpty() ? null : log.get(log.size() - 1);
        return new Mark(cgroupKills(), last == null ? -1 : time(last), last);
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
     * @return what shows that the out-of-memory killer acted on the trainer since, in words: the memory cgroup it
     *     was started in counted a kill, or the kernel log names one of its processes; empty when nothing does
     */
    static Optional<String> since(Mark since, java.util.Set<Long> trainer) {
        long kills = cgroupKills();
        if (kills > since.cgroupKills() && since.cgroupKills() >= 0) {
            return Optional.of("the oom_kill counter of the memory cgroup the trainer runs in went from "
                    + since.cgroupKills() + " to " + kills);
        }
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

    /** @return the oom_kill counter of this process's memory cgroup, or -1 when there is none to read */
    static long cgroupKills() {
        for (Path p : COUNTERS) {
            try {
                for (String line : Files.readAllLines(p, StandardCharsets.UTF_8)) {
                    if (line.startsWith("oom_kill ")) {
                        return Long.parseLong(line.substring("oom_kill ".length()).trim());
                    }
                }
            } catch (IOException | NumberFormatException e) {
                // not this cgroup version, or not readable: try the next
            }
        }
        return -1;
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
