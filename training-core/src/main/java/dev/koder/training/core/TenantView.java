package dev.koder.training.core;

import dev.koder.training.api.ApprovalVerdict;
import dev.koder.training.api.AvailableModel;
import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.CheckpointExport;
import dev.koder.training.api.CheckpointNotFoundException;
import dev.koder.training.api.CheckpointQuery;
import dev.koder.training.api.Checkpoints;
import dev.koder.training.api.CostEstimate;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.RetrievalData;
import dev.koder.training.api.EstimateHistory;
import dev.koder.training.api.InvalidSpecException;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobListener;
import dev.koder.training.api.JobNotFoundException;
import dev.koder.training.api.JobQuery;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.Jobs;
import dev.koder.training.api.Page;
import dev.koder.training.api.Quotas;
import dev.koder.training.api.StoredFile;
import dev.koder.training.api.Subscription;
import dev.koder.training.api.TenantService;
import dev.koder.training.api.Tier;
import dev.koder.training.api.ValidationReport;
import dev.koder.training.api.Violation;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import java.util.function.LongConsumer;

/**
 * One tenant's part of a {@link Training}: its jobs, checkpoints, uploaded files and GPU-hour quota, and nothing
 * of any other tenant's. Another tenant's job or checkpoint is reported exactly as a missing one, lists hold only
 * this tenant's objects, and every spec submitted through it runs as this tenant at this tier. Base models follow
 * the tenant rules: a hub id, a folder of the operator's model roots, or one of this tenant's checkpoints (never
 * an arbitrary folder); dataset paths are this tenant's uploaded file ids or files outside the service's home
 * ({@link #uploadsOnly()}: uploaded files only).
 *
 * <pre>{@code
 * TenantView acme = training.tenant("acme", Tier.PRO);
 * Job job = acme.jobs().submit(spec);              // runs as acme, pro
 * acme.jobs().get(otherTenantsJobId);              // JobNotFoundException, as for an unknown id
 * }</pre>
 *
 * <p>Obtained from {@link Training#tenant(String, Tier)}; the unscoped facade stays for operators.
 */
public final class TenantView implements TenantService {

    private final Training training;
    private final String tenant;
    private final Tier tier;
    private final ScopedJobs jobs = new ScopedJobs();
    private final ScopedCheckpoints checkpoints = new ScopedCheckpoints();
    private final TenantFiles files;
    private final boolean uploadsOnly;

    TenantView(Training training, String tenant, Tier tier, boolean uploadsOnly) {
        this.training = training;
        this.tenant = Objects.requireNonNull(tenant, "tenant");
        this.tier = Objects.requireNonNull(tier, "tier");
        this.files = new TenantFiles(training.files(), tenant, jobs);
        this.uploadsOnly = uploadsOnly;
    }

    /**
     * @return the same tenant, whose datasets can only be its uploaded files (by id): what a server that takes
     *     requests from outside uses, so no request can read a file of the server's machine
     */
    public TenantView uploadsOnly() {
        return new TenantView(training, tenant, tier, true);
    }

    /** @return the tenant */
    @Override
    public String tenant() {
        return tenant;
    }

    /** @return the tier its jobs run at */
    @Override
    public Tier tier() {
        return tier;
    }

    /** @return this tenant's jobs */
    @Override
    public Jobs jobs() {
        return jobs;
    }

    /** @return this tenant's checkpoints */
    @Override
    public Checkpoints checkpoints() {
        return checkpoints;
    }

    /** @return this tenant's uploaded files */
    @Override
    public TenantFiles files() {
        return files;
    }

    /** @return this tenant's GPU-hour budget, reservations and use this month */
    @Override
    public Quotas.QuotaUsage quota() {
        return training.quotas().usage(tenant, Instant.now());
    }

    /**
     * @param spec a spec, as this tenant
     * @return what it would cost, calibrated by this tenant's own finished jobs only
     * @throws InvalidSpecException as {@link Training#estimate(JobSpec)}, and when the model is not this tenant's
     *     to use
     */
    @Override
    public CostEstimate estimate(JobSpec spec) {
        return training.estimate(scoped(spec), tenant);
    }

    /** @param spec a spec, as this tenant @return every check a submitted job would go through */
    @Override
    public ValidationReport validate(JobSpec spec) {
        return training.validate(scoped(spec));
    }

    /** @param limit most jobs @return how far this tenant's estimates were from what its jobs measured */
    @Override
    public EstimateHistory estimateHistory(int limit) {
        return training.estimateHistory(limit, tenant);
    }

    /**
     * @return what this tenant may name as a base model, by those names: the hub cache's ids, the model roots'
     *     folders and this tenant's fine-tunes, never a server path
     */
    @Override
    public List<AvailableModel> models() {
        return training.models().available(tenant);
    }

    /**
     * @param job one of this tenant's jobs
     * @return its output's OpenAI-style name ({@code ft:BASE:TENANT:SUFFIX:JOB}); a base model of a new job
     */
    @Override
    public String fineTunedModel(Job job) {
        return FineTunedNames.of(job, training.models(), null);
    }

    /** @param job one of this tenant's jobs @param step a checkpoint's step @return the checkpoint's name */
    @Override
    public String checkpointModel(Job job, long step) {
        return FineTunedNames.of(job, training.models(), step);
    }

    /**
     * @param baseModel a stored spec's base model
     * @return the name this tenant is shown: a hub id, a model root's relative name, never a server path
     */
    @Override
    public String publicModel(String baseModel) {
        Optional<Checkpoint> from = training.models().checkpointOf(baseModel);
        if (from.isPresent()) {
            Checkpoint c = from.get();
            Job parent = training.jobs().get(c.jobId());
            return FineTunedNames.of(parent, training.models(), c.last() ? null : c.step());
        }
        return training.models().publicName(baseModel);
    }

    /** The spec as this tenant: its tenant and tier, its model by the tenant rules, its data its own. */
    private JobSpec scoped(JobSpec spec) {
        JobSpec.Builder b = spec.toBuilder().tenant(tenant).tier(tier);
        b.trainingData(dataset(spec.trainingData(), "/training_data/path"));
        spec.validationData().ifPresent(v -> b.validationData(dataset(v, "/validation_data/path")));
        spec.retrievalData().ifPresent(r -> b.retrievalData(retrieval(r)));
        return training.models().resolve(dev.koder.training.core.spec.JobSpecJson.resolvePaths(b.build(),
                Path.of("").toAbsolutePath()), true);
    }

    /**
     * A dataset of this tenant: one of its uploads by id, or a file outside the service's home. Another
     * tenant's upload, or any other file of the home, is refused as an unknown file.
     */
    private DatasetRef dataset(DatasetRef ref, String at) {
        return DatasetRef.of(ownFile(ref.path(), at), ref.format());
    }

    /**
     * A retrieval set of this tenant: its three files each an upload of the tenant's (or a file outside the home); a
     * folder only outside the home, where uploads are not the only way in.
     */
    private RetrievalData retrieval(RetrievalData data) {
        if (data.path() != null) {
            Path p;
            try {
                p = data.path().indexOf('\0') < 0 ? Path.of(data.path()).toAbsolutePath().normalize() : null;
            } catch (InvalidPathException e) {
                p = null;
            }
            if (uploadsOnly || p == null || p.startsWith(training.home())) {
                throw new InvalidSpecException("The retrieval data is not available", List.of(new Violation(
                        "/retrieval_data/path", "name the three files (queries, corpus, judgements), each the id of "
                                + "one of your uploaded files, got the folder '" + shown(data.path()) + "'")));
            }
            return data;
        }
        return RetrievalData.files(ownFile(data.queries(), "/retrieval_data/queries"),
                ownFile(data.corpus(), "/retrieval_data/corpus"),
                ownFile(data.judgements(), "/retrieval_data/judgements"));
    }

    /**
     * A file of this tenant: one of its uploads by id, or a file outside the service's home. Another tenant's
     * upload, or any other file of the home, is refused as an unknown file.
     */
    private String ownFile(String path, String at) {
        Optional<StoredFile> upload = Optional.empty();
        try {
            if (path.indexOf('\0') < 0) {
                String name = Path.of(path).getFileName().toString();
                String id = name.endsWith(".jsonl") ? name.substring(0, name.length() - 6) : name;
                if (id.startsWith("file-")) {
                    upload = files.get(id).filter(f -> path.equals(id) || Path.of(path).toAbsolutePath().normalize()
                            .equals(f.path()));
                }
                if (upload.isPresent()) {
                    return upload.get().path().toString();
                }
                Path p = Path.of(path).toAbsolutePath().normalize();
                if (!uploadsOnly && !p.startsWith(training.home()) && !id.startsWith("file-")) {
                    return path;
                }
            }
        } catch (InvalidPathException e) {
            // refused below
        }
        throw new InvalidSpecException("The dataset is not available", List.of(new Violation(at, "must be the id of "
                + "one of your uploaded files, got '" + shown(path) + "'")));
    }

    private static String shown(String path) {
        String clean = path.replaceAll("\\p{Cntrl}", "?");
        int slash = clean.lastIndexOf('/');
        return slash < 0 ? clean : clean.substring(slash + 1);
    }

    private Job own(Job job, String id) {
        if (!job.spec().tenant().equals(tenant)) {
            throw new JobNotFoundException(id);
        }
        return job;
    }

    private Checkpoint ownCheckpoint(String id) {
        Checkpoint c = training.checkpoints().get(id);
        if (!c.tenant().equals(tenant)) {
            throw new CheckpointNotFoundException(id);
        }
        return c;
    }

    private final class ScopedJobs implements Jobs {

        @Override
        public Job submit(JobSpec spec) {
            return submit(spec, null);
        }

        @Override
        public Job submit(JobSpec spec, String submitter) {
            return training.jobService().submitResolved(scoped(spec), submitter);
        }

        @Override
        public Job get(String id) {
            return own(training.jobs().get(id), id);
        }

        @Override
        public Page<Job> list(JobQuery query) {
            JobQuery.Builder q = JobQuery.builder().tenant(tenant).after(query.after()).limit(query.limit());
            query.statuses().forEach(q::status);
            return training.jobs().list(q.build());
        }

        @Override
        public Page<JobEvent> events(String id, long afterSeq, int limit) {
            get(id);
            return training.jobs().events(id, afterSeq, limit);
        }

        @Override
        public Job cancel(String id) {
            get(id);
            return training.jobs().cancel(id);
        }

        @Override
        public Job pause(String id) {
            get(id);
            return training.jobs().pause(id);
        }

        @Override
        public Job resume(String id) {
            get(id);
            return training.jobs().resume(id);
        }

        @Override
        public Job await(String id, Duration timeout) throws InterruptedException, TimeoutException {
            get(id);
            return training.jobs().await(id, timeout);
        }

        @Override
        public Subscription addListener(JobListener listener) {
            return training.jobs().addListener((job, event) -> {
                if (job.spec().tenant().equals(tenant)) {
                    listener.onEvent(job, event);
                }
            });
        }
    }

    private final class ScopedCheckpoints implements Checkpoints {

        @Override
        public Page<Checkpoint> list(CheckpointQuery query) {
            return training.checkpoints().list(CheckpointQuery.builder().tenant(tenant).baseModel(query.baseModel())
                    .stage(query.stage()).jobId(query.jobId()).after(query.after()).limit(query.limit()).build());
        }

        @Override
        public Checkpoint get(String id) {
            return ownCheckpoint(id);
        }

        @Override
        public Checkpoint approve(String id, String actor, String reason) {
            ownCheckpoint(id);
            return training.checkpoints().approve(id, actor, reason);
        }

        @Override
        public ApprovalVerdict gate(String id, String actor) {
            ownCheckpoint(id);
            return training.checkpoints().gate(id, actor);
        }

        @Override
        public Checkpoint approveOverriding(String id, String actor, String reason) {
            ownCheckpoint(id);
            return training.checkpoints().approveOverriding(id, actor, reason);
        }

        @Override
        public Checkpoint deprecate(String id, String actor, String reason) {
            ownCheckpoint(id);
            return training.checkpoints().deprecate(id, actor, reason);
        }

        @Override
        public dev.koder.training.api.Evaluation evaluate(String id, dev.koder.training.api.DatasetRef data,
                String actor, java.util.function.Consumer<String> progress) {
            ownCheckpoint(id);
            return training.checkpoints().evaluate(id, new dev.koder.training.api.DatasetRef(ownFile(data.path(),
                    "/data"), data.format()), actor, progress);
        }

        @Override
        public List<dev.koder.training.api.Evaluation> evaluations(String id) {
            ownCheckpoint(id);
            return training.checkpoints().evaluations(id);
        }

        @Override
        public List<Checkpoint> ancestry(String id) {
            ownCheckpoint(id);
            return training.checkpoints().ancestry(id).stream().takeWhile(c -> c.tenant().equals(tenant)).toList();
        }

        @Override
        public List<Checkpoint.Transition> history(String id) {
            ownCheckpoint(id);
            return training.checkpoints().history(id);
        }

        @Override
        public Optional<Checkpoint> approved(String of, String baseModel) {
            return of.equals(tenant) ? training.checkpoints().approved(of, baseModel) : Optional.empty();
        }

        @Override
        public Path download(String id, Path dir, LongConsumer progress) {
            ownCheckpoint(id);
            return training.checkpoints().download(id, dir, progress);
        }

        @Override
        public List<CheckpointExport> exports(String id) {
            ownCheckpoint(id);
            return training.checkpoints().exports(id);
        }

        @Override
        public CheckpointExport export(String id, Path dir, boolean merged, LongConsumer progress) {
            ownCheckpoint(id);
            return training.checkpoints().export(id, dir, merged, progress);
        }
    }
}
