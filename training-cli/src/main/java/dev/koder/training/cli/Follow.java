package dev.koder.training.cli;

import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.Jobs;
import dev.koder.training.api.Page;
import dev.koder.training.spi.Json;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/**
 * Follows one job until it ends: prints its events as they are stored and draws a live progress bar (step,
 * loss, tokens/s, time left) on a terminal; elsewhere prints a progress line every 10% or 10 seconds.
 */
final class Follow {

    private final Jobs jobs;
    private final PrintWriter out;
    private final boolean json;
    private final boolean terminal;
    private boolean quiet;
    private String indent = "";
    private boolean barShown;
    private Instant firstProgressTime;
    private long firstProgressStep;
    private long lastPrintedDecile = -1;
    private Instant lastPrinted = Instant.EPOCH;

    Follow(Jobs jobs, PrintWriter out, boolean json, boolean terminal) {
        this.jobs = jobs;
        this.out = out;
        this.json = json;
        this.terminal = terminal;
    }

    /** @param prefix put before every line @return this */
    Follow indent(String prefix) {
        this.indent = prefix;
        return this;
    }

    /** @param quiet show nothing while following @return this */
    Follow quietly(boolean quiet) {
        this.quiet = quiet;
        return this;
    }

    /**
     * @param id the job
     * @param afterSeq events already shown
     * @return the job once it reached a final status
     * @throws InterruptedException when interrupted
     */
    Job until(String id, long afterSeq) throws InterruptedException {
        long after = afterSeq;
        while (true) {
            Job job = jobs.get(id);
            Page<JobEvent> page = jobs.events(id, after, 1000);
            for (JobEvent e : page.items()) {
                show(e);
                after = e.seq();
            }
            if (page.nextCursor() != null) {
                continue;
            }
            if (job.status().isTerminal()) {
                clearBar();
                out.flush();
                return job;
            }
            out.flush();
            Thread.sleep(250);
        }
    }

    void show(JobEvent e) {
        if (quiet) {
            return;
        }
        if (json) {
            out.println(Json.write(e));
            return;
        }
        if (e.type().equals(JobEvent.TYPE_PROGRESS)) {
            progress(e);
            return;
        }
        if (e.level() == dev.koder.training.api.EventLevel.DEBUG) {
            return;
        }
        clearBar();
        out.print(indent);
        Render.event(out, e);
    }

    private void progress(JobEvent e) {
        long step = number(e.data().get("step"));
        long total = number(e.data().get("total_steps"));
        if (firstProgressTime == null) {
            firstProgressTime = e.time();
            firstProgressStep = step;
        }
        String eta = "";
        if (total > 0 && step > firstProgressStep) {
            double perStep = Duration.between(firstProgressTime, e.time()).toMillis() / 1000.0
                    / (step - firstProgressStep);
            eta = "  ETA " + Render.duration(Duration.ofMillis((long) (perStep * (total - step) * 1000)));
        }
        String loss = e.data().get("loss") instanceof Number
                ? String.format(Locale.ROOT, "  loss %.4f", ((Number) e.data().get("loss")).doubleValue()) : "";
        String speed = e.data().get("tokens_per_second") instanceof Number
                ? String.format(Locale.ROOT, "  %,.0f tok/s", ((Number) e.data().get("tokens_per_second")).doubleValue())
                : "";
        String bar = total > 0 ? bar(step, total) + " " : "";
        String line = String.format(Locale.ROOT, "%s  %s%d/%s steps%s%s%s", indent, bar, step, total > 0 ? total : "?", loss,
                speed, eta);
        if (terminal) {
            out.print("\r" + line + "\033[K");
            barShown = true;
            return;
        }
        long decile = total > 0 ? step * 10 / total : step;
        if (decile != lastPrintedDecile || Duration.between(lastPrinted, e.time()).getSeconds() >= 10) {
            lastPrintedDecile = decile;
            lastPrinted = e.time();
            out.println(indent + Render.TIME.format(e.time()) + line.substring(indent.length()));
        }
    }

    private void clearBar() {
        if (barShown) {
            out.print("\r\033[K");
            barShown = false;
        }
    }

    static String bar(long step, long total) {
        int width = 24;
        int filled = (int) Math.min(width, step * width / Math.max(1, total));
        return "[" + "#".repeat(filled) + "-".repeat(width - filled) + "]";
    }

    private static long number(Object o) {
        return o instanceof Number ? ((Number) o).longValue() : -1;
    }
}
