package dev.koder.training.server;

import dev.koder.training.api.EstimateCheck;
import dev.koder.training.api.GpuDevice;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobQuery;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Page;
import dev.koder.training.api.Subscription;
import dev.koder.training.api.Tier;
import dev.koder.training.core.Training;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The server's Prometheus metrics, through Micrometer: jobs by status and tier, queue depth and oldest wait per
 * tier, GPUs allocated and free (read from the store and the pool when scraped), job outcomes and estimated
 * against actual GPU-hours (counted as jobs end), and HTTP latency by route.
 */
final class ServerMetrics implements AutoCloseable {

    private final Training training;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<String, Double> snapshot = new ConcurrentHashMap<>();
    private final Subscription subscription;

    ServerMetrics(Training training) {
        this.training = training;
        for (JobStatus s : JobStatus.values()) {
            for (Tier t : Tier.values()) {
                gauge("training.jobs", "jobs by status and tier", "jobs|" + s.wireName() + "|" + t.wireName(),
                        "status", s.wireName(), "tier", t.wireName());
            }
        }
        for (Tier t : Tier.values()) {
            gauge("training.queue.depth", "queued jobs", "queue|" + t.wireName(), "tier", t.wireName());
            gauge("training.queue.oldest.wait.seconds", "how long the oldest queued job has waited",
                    "oldest|" + t.wireName(), "tier", t.wireName());
        }
        gauge("training.gpus.allocated", "GPUs running a trainer", "gpus|allocated");
        gauge("training.gpus.free", "GPUs free", "gpus|free");
        this.subscription = training.jobs().addListener(this::onEvent);
    }

    private void gauge(String name, String help, String key, String... tags) {
        snapshot.put(key, 0.0);
        Gauge.builder(name, snapshot, m -> m.getOrDefault(key, 0.0)).description(help).tags(tags).register(registry);
    }

    private void onEvent(Job job, JobEvent event) {
        if (!JobEvent.TYPE_STATUS.equals(event.type()) || !job.status().isTerminal()) {
            return;
        }
        Counter.builder("training.job.outcomes").description("jobs that ended, by outcome and tier")
                .tag("outcome", job.status().wireName()).tag("tier", job.spec().tier().wireName()).register(registry)
                .increment();
        EstimateCheck.of(job).ifPresent(c -> DistributionSummary.builder("training.estimate.wall.ratio")
                .description("measured / estimated wall time (GPU-hours scale with it) of succeeded jobs")
                .tag("method", c.method()).tag("device", c.device()).register(registry).record(c.wallRatio()));
        if (job.estimate() != null && job.estimate().gpus() > 0 && job.startedAt() != null
                && job.finishedAt() != null) {
            double actual = job.estimate().gpus() * Duration.between(job.startedAt(), job.finishedAt()).toMillis()
                    / 3_600_000.0;
            DistributionSummary.builder("training.gpu.hours.estimated").description("estimated GPU-hours of jobs "
                    + "that ended").register(registry).record(job.estimate().gpuHours());
            DistributionSummary.builder("training.gpu.hours.actual").description("GPU-hours jobs that ended used")
                    .register(registry).record(actual);
        }
    }

    void request(String method, String route, int status, float ms) {
        Timer.builder("http.server.requests").description("HTTP requests by route").tag("method", method)
                .tag("route", route).tag("status", String.valueOf(status)).publishPercentileHistogram()
                .register(registry).record((long) (ms * 1000), TimeUnit.MICROSECONDS);
    }

    /** @return the metrics in Prometheus's text format, the job and pool figures read now */
    String scrape() {
        refresh();
        return registry.scrape();
    }

    private void refresh() {
        Map<String, Double> counts = new ConcurrentHashMap<>();
        Instant now = Instant.now();
        String after = null;
        do {
            Page<Job> page = training.jobs().list(JobQuery.builder().after(after).limit(1000).build());
            for (Job j : page.items()) {
                String tier = j.spec().tier().wireName();
                counts.merge("jobs|" + j.status().wireName() + "|" + tier, 1.0, Double::sum);
                if (j.status() == JobStatus.QUEUED) {
                    counts.merge("queue|" + tier, 1.0, Double::sum);
                    counts.merge("oldest|" + tier, Duration.between(j.createdAt(), now).toMillis() / 1000.0, Math::max);
                }
            }
            after = page.nextCursor();
        } while (after != null);
        long allocated = 0;
        long total = 0;
        for (var node : training.gpuPool()) {
            for (GpuDevice g : node.gpus()) {
                total++;
                if (!g.processes().isEmpty()) {
                    allocated++;
                }
            }
        }
        long running = counts.entrySet().stream().filter(e -> e.getKey().startsWith("jobs|running|"))
                .mapToLong(e -> e.getValue().longValue()).sum();
        allocated = Math.max(allocated, Math.min(total, running));
        counts.put("gpus|allocated", (double) allocated);
        counts.put("gpus|free", (double) (total - allocated));
        snapshot.replaceAll((k, v) -> counts.getOrDefault(k, 0.0));
    }

    @Override
    public void close() {
        subscription.close();
        registry.close();
    }
}
