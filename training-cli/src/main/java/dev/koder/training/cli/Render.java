package dev.koder.training.cli;

import dev.koder.training.api.ApprovalVerdict;
import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.CostEstimate;
import dev.koder.training.api.DatasetIssue;
import dev.koder.training.api.DatasetReport;
import dev.koder.training.api.GpuDevice;
import dev.koder.training.api.GpuNode;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobProgress;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Quotas.QuotaUsage;
import dev.koder.training.api.ValidationReport;
import dev.koder.training.api.Violation;
import dev.koder.training.core.Training;
import dev.koder.training.core.internal.Bytes;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** Text for people: reports, job tables, job details, event lines. */
final class Render {

    static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneId.systemDefault());
    static final DateTimeFormatter DATE_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm")
            .withZone(ZoneId.systemDefault());

    private Render() {
    }

    static void dataset(PrintWriter out, DatasetReport d, String label) {
        for (DatasetIssue i : d.issues()) {
            out.println("  " + i);
        }
        if (d.omitted() > 0) {
            out.println("  and " + d.omitted() + " more (" + count(d.errors(), "error") + ", "
                    + count(d.warnings(), "warning") + " in all)");
        }
        var s = d.stats();
        // an encoder format's "messages" are its texts (a pairs example's anchor, positive and negatives)
        boolean texts = d.format() != null && d.format().encoder();
        out.println("  " + label + d.file() + ": " + count(s.examples(), "example") + ", "
                + count(s.messages(), texts ? "text" : "message") + ", " + count(s.characters(), "character") + ", "
                + count(s.tokens(), "token") + " (" + (s.tokensExact() ? "exact, model tokenizer"
                : "approximate, ~4 characters a token") + "), longest example " + count(s.maxExampleTokens(), "token")
                + (s.overLength() > 0 ? ", " + s.overLength() + " over max_seq_length" : ""));
    }

    /** @return {@code 1 example}, {@code 1,204 examples} */
    static String count(long n, String noun) {
        return String.format(Locale.ROOT, "%,d %s%s", n, noun, n == 1 ? "" : "s");
    }

    static void validation(PrintWriter out, String what, ValidationReport r) {
        long problems = r.violations().size() + r.datasets().stream().mapToLong(DatasetReport::errors).sum();
        out.println(what + ": " + (r.valid() ? "valid" : count(problems, "problem")));
        for (Violation v : r.violations()) {
            out.println("  " + v);
        }
        for (int i = 0; i < r.datasets().size(); i++) {
            dataset(out, r.datasets().get(i), i == 0 ? "training data " : "validation data ");
        }
        for (String note : r.notes()) {
            out.println("  note: " + note);
        }
    }

    /**
     * @param metrics a job's latest evaluation, with the base model's figures under {@code base_}
     * @return each figure, after the base model's where there is one: {@code eval_ndcg_at_10 0.0163 -> 0.8031
     *     (+0.7868)}
     */
    static String evaluation(Map<String, Double> metrics) {
        String base = dev.koder.training.api.JobEvent.BASELINE_METRIC_PREFIX;
        List<String> parts = new java.util.ArrayList<>();
        new java.util.TreeMap<>(metrics).forEach((k, v) -> {
            if (k.startsWith(base)) {
                if (!metrics.containsKey(k.substring(base.length()))) {
                    parts.add(String.format(Locale.ROOT, "%s %.4f (base model; no evaluation since)",
                            k.substring(base.length()), metrics.get(k)));
                }
                return;
            }
            Double before = metrics.get(base + k);
            parts.add(before == null ? String.format(Locale.ROOT, "%s %.4f", k, v)
                    : String.format(Locale.ROOT, "%s %.4f -> %.4f (%+.4f)", k, before, v, v - before));
        });
        return String.join(", ", parts);
    }

    static String progress(JobProgress p) {
        if (p == null || p.step() == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder("step ").append(p.step());
        if (p.totalSteps() != null) {
            sb.append('/').append(p.totalSteps());
        }
        if (p.loss() != null) {
            sb.append(String.format(Locale.ROOT, ", loss %.4f", p.loss()));
        }
        return sb.toString();
    }

    static void jobs(PrintWriter out, List<Job> jobs, String cursor) {
        if (jobs.isEmpty()) {
            out.println("No jobs.");
            return;
        }
        String format = "%-30s %-20s %-12s %-10s %-26s %s%n";
        out.printf(Locale.ROOT, format, "ID", "NAME", "TENANT", "STATUS", "PROGRESS", "CREATED");
        for (Job j : jobs) {
            String status = j.status().wireName() + (j.cancelRequested() ? "*" : "");
            out.printf(Locale.ROOT, format, j.id(), cut(j.spec().name(), 20), cut(j.spec().tenant(), 12), status,
                    cut(progress(j.progress()), 26), DATE_TIME.format(j.createdAt()));
        }
        if (cursor != null) {
            out.println("More: --after " + cursor);
        }
    }

    static void job(PrintWriter out, Job j) {
        out.println(j.id() + "  " + j.spec().name());
        row(out, "status", j.status().wireName() + (j.cancelRequested() ? " (cancellation under way)"
                : j.pauseRequested() ? " (pause under way)" : ""));
        row(out, "tenant", j.spec().tenant() + " (" + j.spec().tier().wireName() + ")");
        row(out, "method", j.spec().method().label() + " on " + j.spec().baseModel());
        row(out, "runner", j.runner());
        row(out, "data", j.spec().trainingData().path() + " (" + j.spec().trainingData().format().wireName() + ")");
        row(out, "submitted", DATE_TIME.format(j.createdAt()));
        if (j.startedAt() != null) {
            row(out, "started", DATE_TIME.format(j.startedAt()) + " (attempt " + j.attempt() + (j.retries() == 0 ? ""
                    : ", " + j.retries() + (j.retries() == 1 ? " automatic retry" : " automatic retries")) + ")");
        }
        if (j.notBefore() != null) {
            row(out, "retry", "not before " + DATE_TIME.format(j.notBefore()));
        }
        if (j.finishedAt() != null) {
            Instant from = j.startedAt() != null ? j.startedAt() : j.createdAt();
            row(out, "finished", DATE_TIME.format(j.finishedAt()) + " after " + duration(Duration.between(from,
                    j.finishedAt())));
        }
        String p = progress(j.progress());
        if (!p.isEmpty()) {
            row(out, "progress", p + (j.progress().tokensPerSecond() == null ? ""
                    : String.format(Locale.ROOT, ", %,.0f tokens/s", j.progress().tokensPerSecond())));
        }
        if (j.progress().evalMetrics() != null && !j.progress().evalMetrics().isEmpty()) {
            row(out, "eval", evaluation(j.progress().evalMetrics()));
        }
        if (j.estimate() != null) {
            CostEstimate e = j.estimate();
            row(out, "estimate", wall(e.wallSeconds()) + ", " + gpuHours(e.gpuHours()) + " GPU-h"
                    + (e.price() == null ? "" : String.format(Locale.ROOT, ", %.2f %s", e.price(), e.currency()))
                    + String.format(Locale.ROOT, ", %,d tokens", e.tokens()));
        }
        dev.koder.training.api.EstimateCheck.of(j).ifPresent(c -> row(out, "outcome", outcome(c)));
        if (j.queueReason() != null && j.status() == JobStatus.QUEUED) {
            row(out, "waiting", j.queueReason());
        }
        if (j.placement() != null) {
            row(out, "placement", j.placement().gpus().isEmpty() ? j.placement().node() + " (CPU)"
                    : j.placement().node() + ", GPU " + j.placement().gpus().stream().map(String::valueOf)
                            .collect(Collectors.joining(",")));
        }
        if (j.lastCheckpoint() != null) {
            row(out, "checkpoint", j.lastCheckpoint());
        }
        if (j.output() != null) {
            row(out, "output", j.output());
        }
        if (j.failure() != null) {
            row(out, "failure", j.failure().cause().wireName() + ": " + j.failure().message());
            if (!j.failure().logTail().isEmpty()) {
                out.println("  stderr (last lines):");
                j.failure().logTail().forEach(l -> out.println("    " + l));
            }
        }
    }

    /** @return "estimated X, took Y" for wall time, throughput and peak memory, each with measured / estimated */
    static String outcome(dev.koder.training.api.EstimateCheck c) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "estimated %s, took %s (x%.2f)",
                wall(c.estimatedWallSeconds()), wall(c.wallSeconds()), c.wallRatio()));
        c.throughputRatio().ifPresent(r -> b.append(String.format(Locale.ROOT, "; %,.0f tokens/s estimated, %,.0f "
                + "measured (x%.2f)", c.estimatedTokensPerSecond(), c.tokensPerSecond(), r)));
        c.memoryRatio().ifPresent(r -> b.append(String.format(Locale.ROOT, "; peak memory %.2f GiB estimated, %.2f "
                + "measured (x%.2f)", c.estimatedPeakGib(), c.peakGib(), r)));
        return b.toString();
    }

    /** Prints the estimate error distribution per method and device. */
    static void history(PrintWriter out, dev.koder.training.api.EstimateHistory h) {
        if (h.groups().isEmpty()) {
            out.println("No finished job with an estimate yet.");
            return;
        }
        out.println("Measured / estimated over this home's succeeded jobs (1.00 = exact; above 1 the estimate was low):");
        out.printf(Locale.ROOT, "  %-14s %-8s %5s  %-30s %-30s %-30s%n", "method", "device", "jobs",
                "wall time (p10 median p90)", "tokens/s (p10 median p90)", "peak memory (p10 median p90)");
        for (var g : h.groups()) {
            out.printf(Locale.ROOT, "  %-14s %-8s %5d  %-30s %-30s %-30s%n", g.method(), g.device(), g.jobs(),
                    spread(g.wall()), spread(g.throughput()), spread(g.memory()));
        }
    }

    private static String spread(dev.koder.training.api.EstimateHistory.Spread s) {
        return s == null ? "-" : String.format(Locale.ROOT, "%.2f %.2f %.2f (n=%d)", s.p10(), s.median(), s.p90(), s.n());
    }

    /** @param lines what the tracking sinks say of a job (where it is tracked, whether tracking is behind) */
    static void tracking(PrintWriter out, List<String> lines) {
        lines.forEach(l -> row(out, "tracking", l));
    }

    static void estimate(PrintWriter out, String what, CostEstimate e) {
        String device = e.gpus() == 0 ? "CPU" : e.gpus() + " x " + e.device();
        out.println(what + ": " + wall(e.wallSeconds()) + " on " + device + ", " + gpuHours(e.gpuHours()) + " GPU-h"
                + (e.price() == null ? "" : String.format(Locale.ROOT, ", %.2f %s", e.price(), e.currency()))
                + (e.gpus() == 0 ? "" : String.format(Locale.ROOT, ", peak memory %.1f GiB per GPU%s",
                        e.memory().total(), e.memoryLimitGib() == null ? ""
                                : String.format(Locale.ROOT, " of %.0f GiB%s", e.memoryLimitGib(),
                                        e.fits() ? "" : ": DOES NOT FIT"))));
        e.breakdown().forEach(line -> out.println("  " + line));
    }

    /** @return "1:02:03"-style or "40 s"-style wall time */
    static String wall(double seconds) {
        return seconds < 60 ? Math.round(seconds) + " s" : duration(Duration.ofSeconds(Math.round(seconds)));
    }

    static String gpuHours(double hours) {
        return hours == 0 ? "0" : hours < 0.01 ? String.format(Locale.ROOT, "%.4f", hours)
                : String.format(Locale.ROOT, "%.2f", hours);
    }

    static void quotas(PrintWriter out, List<QuotaUsage> usages) {
        if (usages.isEmpty()) {
            out.println("No budgets and no reservations yet: every tenant is unlimited.");
            return;
        }
        String format = "%-20s %-8s %10s %10s %10s %10s%n";
        out.printf(Locale.ROOT, format, "TENANT", "MONTH", "BUDGET", "RESERVED", "USED", "LEFT");
        for (QuotaUsage u : usages) {
            boolean limited = u.budgetGpuHours() != null;
            out.printf(Locale.ROOT, format, cut(u.tenant(), 20), u.period(),
                    limited ? gpuHours(u.budgetGpuHours()) : "none", gpuHours(u.reservedGpuHours()),
                    gpuHours(u.usedGpuHours()), limited ? gpuHours(u.remaining()) : "unlimited");
        }
        out.println("GPU-hours this month (UTC). Reserved: what running and queued jobs may still use.");
    }

    /** @return running jobs by "node/gpu-index" */
    static Map<String, Job> jobsByGpu(List<Job> running) {
        Map<String, Job> byGpu = new HashMap<>();
        for (Job j : running) {
            if (j.placement() != null) {
                j.placement().gpus().forEach(g -> byGpu.put(j.placement().node() + "/" + g, j));
            }
        }
        return byGpu;
    }

    static void pool(PrintWriter out, List<GpuNode> nodes, Map<String, Job> byGpu) {
        if (nodes.isEmpty()) {
            out.println("No GPUs: jobs with resources.gpus 0 run on the CPU; others are refused. Set training.gpus "
                    + "in the home's training.properties to describe a pool, or run on a machine with NVIDIA GPUs.");
            return;
        }
        for (GpuNode n : nodes) {
            long busy = n.gpus().stream().filter(g -> byGpu.containsKey(n.name() + "/" + g.index())).count();
            out.println(n.name() + ": " + count(n.gpus().size(), "GPU") + ", " + busy + " in use");
            for (GpuDevice g : n.gpus()) {
                Job job = byGpu.get(n.name() + "/" + g.index());
                out.printf(Locale.ROOT, "  %2d  %-28s %5.0f GiB  %s%n", g.index(), cut(g.name(), 28), g.memoryGib(),
                        job == null ? "free" : job.id() + " (" + job.spec().tenant() + ")");
            }
        }
    }

    static void cpuSlots(PrintWriter out, int slots, int threadsEach, long running) {
        out.println("CPU: " + count(slots, "job") + " at a time (" + Training.MAX_CONCURRENT_JOBS_PROPERTY + "), "
                + count(threadsEach, "CPU thread") + " each; " + running + " running");
    }

    static void checkpoints(PrintWriter out, List<Checkpoint> items, String cursor) {
        if (items.isEmpty()) {
            out.println("No checkpoints.");
            return;
        }
        String format = "%-25s %-10s %-26s %-8s %-10s %-12s %-10s %s%n";
        out.printf(Locale.ROOT, format, "ID", "STAGE", "JOB", "STEP", "KIND", "TENANT", "SIZE", "BASE MODEL");
        for (Checkpoint c : items) {
            out.printf(Locale.ROOT, format, c.id(), c.stage().wireName(), c.jobId(), c.step(),
                    c.last() ? "final" : "checkpoint", cut(c.tenant(), 12), Bytes.human(c.size()), c.baseModel());
        }
        if (cursor != null) {
            out.println("More: --after " + cursor);
        }
    }

    static void checkpoint(PrintWriter out, Checkpoint c, List<Checkpoint> chain,
            List<dev.koder.training.api.Evaluation> evaluations, List<Checkpoint.Transition> history) {
        out.println(c.id() + "  " + c.stage().wireName());
        row(out, "job", c.jobId() + ", step " + c.step() + (c.last() ? " (final output)" : ""));
        row(out, "tenant", c.tenant());
        row(out, "model", c.method() + " on " + c.baseModel());
        Checkpoint.Artifact a = c.artifact();
        row(out, "format", c.format().wireName() + (a.peftType() == null ? "" : ", " + a.peftType()
                + (a.rank() == null ? "" : " rank " + a.rank()) + (a.alpha() == null ? ""
                        : String.format(Locale.ROOT, " alpha %.0f", a.alpha()))
                + (a.targetModules() == null ? "" : " on " + String.join(", ", a.targetModules())))
                + String.format(Locale.ROOT, "; %,d tensors, %s", a.tensors(), Bytes.human(a.tensorBytes())));
        if (!c.metrics().isEmpty()) {
            row(out, "metrics", evaluation(c.metrics()));
        }
        row(out, "created", DATE_TIME.format(c.createdAt()));
        row(out, "stored in", c.blobStore());
        out.println("  files:");
        for (Checkpoint.File f : c.files()) {
            out.printf(Locale.ROOT, "    %-40s %10s  sha256 %s%n", f.path(), Bytes.human(f.size()), f.sha256());
        }
        Checkpoint.Lineage l = c.lineage();
        out.println("  lineage:");
        out.println("    spec sha256 " + l.specHash());
        l.datasets().forEach((path, sha) -> out.println("    data " + path + " sha256 " + sha));
        out.println("    base model revision " + (l.baseModelRevision() == null ? "unknown (not on this machine)"
                : l.baseModelRevision()));
        if (l.parent() != null) {
            out.println("    continues " + String.join(" <- ", chain.stream().skip(1).map(p -> p.id() + " (job "
                    + p.jobId() + ", step " + p.step() + ")").toList()) + (chain.size() > 1
                            && chain.get(chain.size() - 1).lineage().parent() == null
                            ? " <- " + chain.get(chain.size() - 1).baseModel() : ""));
        }
        if (!evaluations.isEmpty()) {
            out.println("  evaluations:");
            for (dev.koder.training.api.Evaluation e : evaluations) {
                out.println("    " + DATE_TIME.format(e.createdAt()) + "  " + e.id() + " on " + e.data() + " (sha256 "
                        + e.dataSha256().substring(0, 12) + ", " + e.examples() + " examples) by " + e.actor() + ": "
                        + String.join(", ", e.metrics().entrySet().stream().filter(m -> !m.getKey().equals(
                                "eval_tokens")).map(m -> String.format(Locale.ROOT, "%s %.4f%s", m.getKey(),
                                        m.getValue(), e.baseMetrics().containsKey(m.getKey()) ? String.format(
                                                Locale.ROOT, " (base %.4f)", e.baseMetrics().get(m.getKey())) : ""))
                                .toList()));
            }
        }
        out.println("  history:");
        for (Checkpoint.Transition t : history) {
            out.println("    " + DATE_TIME.format(t.time()) + "  " + (t.from() == null ? "" : t.from().wireName()
                    + " -> ") + t.to().wireName() + "  by " + t.actor() + (t.override() ? " OVERRIDING THE "
                    + "APPROVAL GATE" : "") + ": " + t.reason());
            if (t.gate() != null) {
                t.gate().forEach(r -> out.println("      " + (r.passed() ? "passed " : "FAILED ") + r.name() + ": "
                        + r.detail()));
            }
        }
    }

    static void evaluation(PrintWriter out, dev.koder.training.api.Evaluation e) {
        out.printf(Locale.ROOT, "Evaluation %s of %s: %d %s examples of %s (sha256 %s), on %s, by %s%n", e.id(),
                e.checkpointId(), e.examples(), e.format().wireName(), e.data(), e.dataSha256(), e.device(), e.actor());
        out.printf(Locale.ROOT, "  %-28s %12s %12s %12s%n", "METRIC", "CHECKPOINT", "BASE MODEL", "CHANGE");
        java.util.Set<String> names = new java.util.TreeSet<>(e.metrics().keySet());
        names.addAll(e.baseMetrics().keySet());
        for (String name : names) {
            Double now = e.metrics().get(name);
            Double before = e.baseMetrics().get(name);
            out.printf(Locale.ROOT, "  %-28s %12s %12s %12s%n", name, figure(now), figure(before),
                    now == null || before == null ? "" : String.format(Locale.ROOT, "%+.4f", now - before));
        }
    }

    private static String figure(Double v) {
        return v == null ? "-" : Math.abs(v) >= 1e5 ? String.format(Locale.ROOT, "%.0f", v)
                : String.format(Locale.ROOT, "%.4f", v);
    }

    static void verdict(PrintWriter out, ApprovalVerdict v) {
        if (v.rules().isEmpty()) {
            out.println("Checkpoint " + v.checkpointId() + ": no approval rule applies; " + v.actor()
                    + " may approve it.");
            return;
        }
        out.println("Checkpoint " + v.checkpointId() + ": " + (v.allowed() ? v.actor() + " may approve it"
                : "the approval gate refuses it for " + v.actor()) + ".");
        v.rules().forEach(r -> out.println("  " + (r.passed() ? "passed " : "FAILED ") + r.name() + ": "
                + r.detail()));
    }

    static void event(PrintWriter out, JobEvent e) {
        out.println(TIME.format(e.time()) + "  " + String.format(Locale.ROOT, "%-5s", e.level().wireName()) + "  "
                + e.message());
    }

    static String duration(Duration d) {
        long s = Math.max(0, d.getSeconds());
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }

    private static void row(PrintWriter out, String key, String value) {
        out.printf(Locale.ROOT, "  %-11s %s%n", key, value);
    }

    private static String cut(String s, int width) {
        return s.length() <= width ? s : s.substring(0, width - 1) + "~";
    }
}
