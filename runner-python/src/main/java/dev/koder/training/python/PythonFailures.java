package dev.koder.training.python;

import dev.koder.training.api.FailureCause;
import dev.koder.training.api.JobFailure;
import dev.koder.training.spi.ExitStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads what a Python trainer's stderr says about how it died when it could not report it itself: an
 * out-of-memory message, a missing module, the exception at the end of a traceback. Only evidence from the
 * text: how a kill by signal is read (the kernel's out-of-memory killer or not) is decided by the service, in
 * one place for every runner.
 */
public final class PythonFailures {

    private static final Pattern MISSING_MODULE = Pattern.compile("No module named '([^']+)'");
    private static final Pattern EXCEPTION_LINE = Pattern.compile("^([A-Za-z_][\\w.]*(Error|Exception|Interrupt))"
            + "(: (.*))?$");

    private static final Pattern ROOT_RANK = Pattern.compile("^\\s*rank\\s*:\\s*(\\d+)");
    private static final Pattern ROOT_EXIT = Pattern.compile("^\\s*exitcode\\s*:\\s*(-?\\d+)");

    private PythonFailures() {
    }

    /**
     * @param exit how the trainer ended
     * @param stderr its last stderr lines
     * @param python the interpreter it ran with, for install hints
     * @return the failure, or empty when nothing here says what happened
     */
    public static Optional<JobFailure> classify(ExitStatus exit, List<String> stderr, String python) {
        Optional<JobFailure> rank = firstFailedRank(stderr, python);
        if (rank.isPresent()) {
            return rank;
        }
        String text = String.join("\n", stderr);
        if (text.contains("CUDA out of memory") || text.contains("torch.OutOfMemoryError")
                || text.contains("torch.cuda.OutOfMemoryError")) {
            return Optional.of(new JobFailure(FailureCause.OUT_OF_MEMORY, "the GPU ran out of memory; lower "
                    + "micro_batch_size or max_seq_length, or turn on gradient_checkpointing", stderr));
        }
        Matcher missing = MISSING_MODULE.matcher(text);
        if (missing.find()) {
            String module = missing.group(1).split("\\.")[0];
            return Optional.of(new JobFailure(FailureCause.MISSING_DEPENDENCY, "Python module '" + module
                    + "' is missing from " + python + "; install it with: " + python + " -m pip install "
                    + module.replace('_', '-'), stderr));
        }
        for (int i = stderr.size() - 1; i >= 0; i--) {
            Matcher m = EXCEPTION_LINE.matcher(stderr.get(i).trim());
            if (m.matches()) {
                return Optional.of(new JobFailure(FailureCause.UNKNOWN, "the trainer raised " + stderr.get(i).trim(),
                        stderr));
            }
        }
        return Optional.empty();
    }

    /**
     * torchrun ends with a summary of the ranks that failed, each with its exit code (negative: the signal that killed
     * it). The rank that caused the failure is not always the one it calls the root cause: the other ranks fail in
     * turn when a peer vanishes (an abort in the collective library, a connection reset), at the same moment as far as
     * the launcher can tell, or are stopped by it (SIGTERM). So the cause is, in order: a rank killed by a signal other
     * than those; a rank that exited with an error of its own (not a lost peer), read from its own lines, which carry
     * its prefix ({@code [rank1]:}); else the launcher's root cause.
     */
    static Optional<JobFailure> firstFailedRank(List<String> stderr, String python) {
        int start = -1;
        for (int i = stderr.size() - 1; i >= 0; i--) {
            if (stderr.get(i).contains("Root Cause (first observed failure)")) {
                start = i;
            }
            if (start >= 0 && stderr.get(i).startsWith("Failures:")) {
                start = i;
                break;
            }
        }
        if (start < 0) {
            return Optional.empty();
        }
        List<int[]> ranks = new ArrayList<>();
        Integer rank = null;
        for (String line : stderr.subList(start, stderr.size())) {
            Matcher r = ROOT_RANK.matcher(line);
            Matcher c = ROOT_EXIT.matcher(line);
            if (r.find()) {
                rank = Integer.parseInt(r.group(1));
            } else if (rank != null && c.find()) {
                ranks.add(new int[] {rank, Integer.parseInt(c.group(1))});
                rank = null;
            }
        }
        if (ranks.isEmpty()) {
            return Optional.empty();
        }
        int[] root = ranks.get(ranks.size() - 1);
        for (int[] r : ranks) {
            if (r[1] < 0 && r[1] != -15 && r[1] != -6) {
                return Optional.of(killed(r, stderr));
            }
        }
        for (int[] r : ranks) {
            List<String> own = linesOf(stderr, r[0]);
            if (r[1] > 0 && own.stream().noneMatch(PythonFailures::peerLost)) {
                return Optional.of(exited(r, own, stderr, python));
            }
        }
        return Optional.of(root[1] < 0 ? killed(root, stderr) : exited(root, linesOf(stderr, root[0]), stderr, python));
    }

    private static JobFailure killed(int[] rank, List<String> tail) {
        return new JobFailure(FailureCause.KILLED, "rank " + rank[0] + " was killed by signal " + -rank[1] + " ("
                + signalName(-rank[1]) + "); the other ranks were stopped", tail);
    }

    private static JobFailure exited(int[] rank, List<String> own, List<String> tail, String python) {
        Optional<JobFailure> cause = own.isEmpty() ? Optional.empty() : classify(ExitStatus.UNKNOWN, own, python);
        return cause.map(f -> new JobFailure(f.cause(), "rank " + rank[0] + " failed first: " + f.message(), tail))
                .orElse(new JobFailure(FailureCause.UNKNOWN, "rank " + rank[0] + " exited with code " + rank[1]
                        + " and the other ranks were stopped", tail));
    }

    private static List<String> linesOf(List<String> stderr, int rank) {
        String prefix = "[rank" + rank + "]:";
        return stderr.stream().filter(l -> l.startsWith(prefix)).map(l -> l.substring(prefix.length())).toList();
    }

    private static boolean peerLost(String line) {
        return line.contains("Connection reset by peer") || line.contains("Connection closed by peer")
                || line.contains("lost another rank") || line.contains("DistBackendError");
    }

    private static String signalName(int signal) {
        switch (signal) {
            case 9:
                return "SIGKILL";
            case 15:
                return "SIGTERM";
            case 6:
                return "SIGABRT";
            case 11:
                return "SIGSEGV";
            case 7:
                return "SIGBUS";
            default:
                return "signal " + signal;
        }
    }
}
