package dev.koder.training.core;

import dev.koder.training.api.CostEstimate;
import dev.koder.training.api.DatasetIssue;
import dev.koder.training.api.DatasetReport;
import dev.koder.training.api.EventLevel;
import dev.koder.training.api.FailureCause;
import dev.koder.training.api.GpuDevice;
import dev.koder.training.api.InvalidSpecException;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobFailure;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Quotas;
import dev.koder.training.api.Severity;
import dev.koder.training.api.ValidationReport;
import dev.koder.training.api.Violation;
import dev.koder.training.core.estimate.Estimator;
import dev.koder.training.core.estimate.GpuModels;
import dev.koder.training.core.estimate.ModelShape;
import dev.koder.training.core.estimate.Recipe;
import dev.koder.training.spi.JobRecord;
import dev.koder.training.spi.JobScheduler;
import dev.koder.training.spi.JobUpdate;
import dev.koder.training.spi.Json;
import dev.koder.training.spi.NewEvent;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What a job goes through before it may queue: its model folder and datasets are checked, its cost estimated,
 * and its estimated GPU-hours reserved against its tenant's budget. Runs in the submitting thread, so that
 * bad data, an impossible request and an exhausted budget are reported at submit.
 */
final class Admission {

    private final Engine engine;

    Admission(Engine engine) {
        this.engine = engine;
    }

    /**
     * What the checks found.
     *
     * @param report model and dataset findings
     * @param estimate the cost, or null when the model is not on this machine or the data is invalid
     * @param notes why something could not be estimated
     */
    record Prepared(ValidationReport report, CostEstimate estimate, List<String> notes, JobSpec spec,
            List<String> recipe) {
    }

    /**
     * Checks the model folder and every dataset, and estimates the cost when the data is valid.
     *
     * @param spec the job
     * @param runnerProblems what its runner refuses
     * @param runner the name of the runner that would train it (its measured speed applies)
     * @param runnerReason why that runner, for the estimate's breakdown, or null
     * @return the checks' findings and the estimate
     */
    Prepared prepare(JobSpec spec, List<Violation> runnerProblems, String runner, String runnerReason) {
        return prepare(spec, runnerProblems, runner, runnerReason, null);
    }

    /**
     * As {@link #prepare(JobSpec, List, String, String)}, calibrating the estimate by one tenant's finished jobs
     * only (what a tenant is shown never comes from another tenant's jobs).
     *
     * @param historyTenant whose finished jobs calibrate the estimate, or null for every tenant's
     */
    Prepared prepare(JobSpec spec, List<Violation> runnerProblems, String runner, String runnerReason,
            String historyTenant) {
        ValidationReport report = JobValidation.validate(spec, runnerProblems, List.of(), engine.settings.maxIssues());
        if (!report.valid()) {
            return new Prepared(report, null, List.of(), spec, List.of());
        }
        List<String> notes = new ArrayList<>();
        Recipe recipe = recipe(spec, report.datasets().get(0), notes, runner, runnerReason, historyTenant, List.of());
        return new Prepared(report, recipe.estimate(), notes, recipe.spec(), recipe.lines());
    }

    /**
     * Chooses the spec's auto values and estimates it; without a model size, safe choices and no estimate.
     *
     * @param earlier lines of choices already made, first of the recipe's
     */
    private Recipe recipe(JobSpec spec, DatasetReport training, List<String> notes, String runner,
            String runnerReason, String historyTenant, List<String> earlier) {
        if (spec.hyperparameters().autoMicroBatchTokens() && !tokenMicroSteps(runner)) {
            JobSpec examples = Recipe.inExamples(spec);
            List<String> lines = new ArrayList<>(earlier);
            lines.add(Recipe.examplesLine(examples, runner));
            return recipe(examples, training, notes, runner, runnerReason, historyTenant, lines);
        }
        Optional<ModelShape> shape;
        try {
            shape = ModelShape.find(spec.baseModel());
        } catch (IOException e) {
            notes.add("no estimate: " + e.getMessage());
            return unestimated(spec, earlier);
        }
        if (shape.isEmpty()) {
            notes.add("no estimate: the config.json of the base model is not on this machine (not a "
                    + "local folder, not in the Hugging Face cache), so its size is unknown");
            return unestimated(spec, earlier);
        }
        String device = null;
        Double memory = null;
        if (spec.resources().gpus() > 0) {
            Optional<GpuDevice> gpu = engine.pool().stream().flatMap(n -> n.gpus().stream())
                    .filter(g -> g.isType(spec.resources().gpuType())).findFirst();
            if (gpu.isPresent()) {
                device = gpu.get().name();
                memory = gpu.get().memoryGib();
            } else if (spec.resources().gpuType() != null) {
                device = spec.resources().gpuType();
                memory = GpuModels.find(device).map(GpuModels.GpuModel::memoryGib).orElse(null);
            }
        }
        return engine.estimator.recipe(spec, training.stats(), shape.get(), device, memory, measured(historyTenant),
                runner, runnerReason, earlier);
    }

    private static Recipe unestimated(JobSpec spec, List<String> earlier) {
        Recipe r = Recipe.unestimated(spec, "the model's size is unknown here");
        List<String> lines = new ArrayList<>(earlier);
        lines.addAll(r.lines());
        return new Recipe(r.spec(), lines, null);
    }

    /** @return whether the runner cuts micro-steps by tokens (a runner not installed here: TRL's, which does) */
    private boolean tokenMicroSteps(String runner) {
        return engine.runners.names().contains(runner) ? engine.runners.named(runner).capabilities().tokenMicroSteps()
                : "trl".equals(runner);
    }

    /** Finished jobs' average throughput (of one tenant's, or null for all), newest first, to calibrate. */
    List<Estimator.Measured> measured(String tenant) {
        List<Estimator.Measured> out = new ArrayList<>();
        var page = engine.store.list(dev.koder.training.api.JobQuery.builder().tenant(tenant).status(
                JobStatus.SUCCEEDED).limit(200).build());
        for (JobRecord r : page.items()) {
            var j = r.job();
            if (j.estimate() != null && j.progress().tokensPerSecond() != null && j.progress().tokensPerSecond() > 0) {
                Double memoryRatio = dev.koder.training.api.EstimateCheck.of(j).flatMap(c -> c.memoryRatio())
                        .orElse(null);
                out.add(new Estimator.Measured(j.estimate().device(), Estimator.kind(j.spec().method().label(), j.runner()),
                        j.estimate().parameters(), j.progress().tokensPerSecond(), memoryRatio));
            }
        }
        return out;
    }

    /**
     * Reserves the estimated GPU-hours, or refuses.
     *
     * @throws dev.koder.training.api.QuotaExceededException when the budget cannot cover the job
     * @throws InvalidSpecException when the tenant has a budget but the job cannot be estimated
     */
    void reserve(JobSpec spec, String jobId, Prepared prepared) {
        if (engine.ledger == null || !prepared.report().valid()) {
            return;
        }
        if (prepared.estimate() == null) {
            if (engine.ledger.budget(spec.tenant()).isPresent() && spec.resources().gpus() > 0) {
                throw new InvalidSpecException("Cannot reserve GPU-hours", List.of(new Violation("/base_model",
                        "tenant " + spec.tenant() + " has a GPU-hour budget, and this job's GPU-hours cannot be "
                                + "estimated: " + String.join("; ", prepared.notes()))));
            }
            return;
        }
        engine.ledger.reserve(spec.tenant(), jobId, prepared.estimate().gpuHours(), engine.clock.instant());
    }

    /** Moves a VALIDATING job to QUEUED or FAILED, with one event per finding and one for the estimate. */
    void finish(String jobId, JobSpec spec, Prepared prepared) {
        ValidationReport report = prepared.report();
        List<NewEvent> events = findings(report);
        if (report.valid()) {
            CostEstimate e = prepared.estimate();
            if (e != null) {
                Map<String, Object> data = new LinkedHashMap<>(Json.readMap(Json.write(e)));
                events.add(new NewEvent(engine.clock.instant(), e.fits() ? EventLevel.INFO : EventLevel.WARN, "estimate",
                        String.format(Locale.ROOT, "estimate: %,d tokens, %s on %s, %.3f GPU-h%s; peak %.1f GiB per %s%s",
                                e.tokens(), wall(e.wallSeconds()), e.gpus() == 0 ? "the CPU" : e.gpus() + " x "
                                        + e.device(), e.gpuHours(), e.price() == null ? ""
                                        : String.format(Locale.ROOT, " (%.2f %s)", e.price(), e.currency()),
                                e.memory().total(), e.gpus() == 0 ? "host" : "GPU", e.fits() ? ""
                                        : String.format(Locale.ROOT, ", more than the %.0f GiB it has", e.memoryLimitGib())),
                        data));
            }
            prepared.notes().forEach(n -> events.add(engine.note(EventLevel.INFO, n, Map.of())));
            quotaNote(spec, jobId).ifPresent(events::add);
            long warnings = report.datasets().stream().mapToLong(DatasetReport::warnings).sum();
            events.add(engine.status(JobStatus.VALIDATING, JobStatus.QUEUED, EventLevel.INFO,
                    "queued: model and data passed validation" + (warnings == 0 ? ""
                            : " with " + warnings + (warnings == 1 ? " warning" : " warnings"))));
            JobUpdate.Builder u = JobUpdate.to(JobStatus.QUEUED);
            if (e != null) {
                u.estimate(e);
            }
            engine.update(jobId, JobStatus.VALIDATING, u.build(), events);
            return;
        }
        String first = !report.violations().isEmpty() ? report.violations().get(0).toString()
                : report.datasets().stream().flatMap(d -> d.issues().stream())
                        .filter(i -> i.severity() == Severity.ERROR).map(DatasetIssue::toString).findFirst().orElse("");
        long errors = report.violations().size() + report.datasets().stream().mapToLong(DatasetReport::errors).sum();
        String message = errors + (errors == 1 ? " problem" : " problems") + " found before training; first: " + first;
        events.add(engine.status(JobStatus.VALIDATING, JobStatus.FAILED, EventLevel.ERROR, "failed validation: "
                + message));
        engine.update(jobId, JobStatus.VALIDATING, JobUpdate.to(JobStatus.FAILED).failure(JobFailure.of(
                FailureClassifier.ofValidation(report.violations()), message)).build(), events);
    }

    private Optional<NewEvent> quotaNote(JobSpec spec, String jobId) {
        if (engine.ledger == null) {
            return Optional.empty();
        }
        Optional<Quotas.QuotaEntry> entry = engine.ledger.entry(jobId);
        if (entry.isEmpty()) {
            return Optional.empty();
        }
        Quotas.QuotaUsage usage = engine.ledger.usage(spec.tenant(), engine.clock.instant());
        String budget = usage.budgetGpuHours() == null ? "no budget set" : String.format(Locale.ROOT,
                "%.2f of %.2f GPU-h left in %s", usage.remaining(), usage.budgetGpuHours(), usage.period());
        return Optional.of(engine.note(EventLevel.INFO, String.format(Locale.ROOT, "reserved %.3f GPU-h for tenant %s "
                + "(%s)", entry.get().reservedGpuHours(), spec.tenant(), budget), Map.of("reserved_gpu_hours",
                        entry.get().reservedGpuHours())));
    }

    private List<NewEvent> findings(ValidationReport report) {
        List<NewEvent> events = new ArrayList<>();
        for (Violation v : report.violations()) {
            events.add(new NewEvent(engine.clock.instant(), EventLevel.ERROR, JobEvent.TYPE_VALIDATION, v.toString(),
                    Map.of("pointer", v.pointer(), "message", v.message())));
        }
        for (DatasetReport d : report.datasets()) {
            for (DatasetIssue i : d.issues()) {
                Map<String, Object> data = new LinkedHashMap<>();
                data.put("file", i.file());
                data.put("line", i.line());
                data.put("pointer", i.pointer());
                data.put("severity", i.severity().wireName());
                data.put("message", i.message());
                events.add(new NewEvent(engine.clock.instant(), i.severity() == Severity.ERROR ? EventLevel.ERROR
                        : EventLevel.WARN, JobEvent.TYPE_VALIDATION, i.toString(), data));
            }
            if (d.omitted() > 0) {
                events.add(new NewEvent(engine.clock.instant(), EventLevel.WARN, JobEvent.TYPE_VALIDATION,
                        d.file() + ": and " + d.omitted() + " more findings", Map.of("file", d.file(),
                                "omitted", d.omitted())));
            }
            events.add(new NewEvent(engine.clock.instant(), EventLevel.INFO, JobEvent.TYPE_VALIDATION,
                    summary(d), statsData(d)));
        }
        return events;
    }

    static String summary(DatasetReport d) {
        return String.format(Locale.ROOT, "%s: %,d examples, %,d messages, %,d tokens (%s)", d.file(),
                d.stats().examples(), d.stats().messages(), d.stats().tokens(),
                d.stats().tokensExact() ? "exact" : "approximate");
    }

    static Map<String, Object> statsData(DatasetReport d) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("file", d.file());
        data.put("examples", d.stats().examples());
        data.put("messages", d.stats().messages());
        data.put("characters", d.stats().characters());
        data.put("tokens", d.stats().tokens());
        data.put("tokens_exact", d.stats().tokensExact());
        data.put("max_example_tokens", d.stats().maxExampleTokens());
        data.put("over_length", d.stats().overLength());
        data.put("errors", d.errors());
        data.put("warnings", d.warnings());
        return data;
    }

    static String wall(double seconds) {
        long s = Math.round(seconds);
        return s < 120 ? s + " s" : s < 7200 ? String.format(Locale.ROOT, "%.1f min", seconds / 60)
                : String.format(Locale.ROOT, "%.1f h", seconds / 3600);
    }

    /** @return the request the scheduler sees for a queued job */
    static JobScheduler.Request request(JobRecord r) {
        var j = r.job();
        return request(j.id(), j.spec(), j.createdAt(), j.estimate());
    }

    /** @return the request the scheduler would see for a job with this spec and estimate */
    static JobScheduler.Request request(String jobId, JobSpec spec, Instant queuedAt, CostEstimate estimate) {
        double memory = spec.resources().minGpuMemoryGib() == null ? 0 : spec.resources().minGpuMemoryGib();
        if (estimate != null && spec.resources().gpus() > 0) {
            memory = Math.max(memory, estimate.memory().total());
        }
        Duration runtime = estimate == null ? Duration.ofHours(1)
                : Duration.ofSeconds(Math.max(1, Math.round(estimate.wallSeconds())));
        return new JobScheduler.Request(jobId, spec.tenant(), spec.tier(), queuedAt,
                spec.resources().gpus(), spec.resources().gpuType(), memory, runtime);
    }
}
