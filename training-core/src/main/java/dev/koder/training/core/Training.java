package dev.koder.training.core;

import dev.koder.training.api.AccessKeys;
import dev.koder.training.api.Checkpoints;
import dev.koder.training.api.CostEstimate;
import dev.koder.training.api.EstimateCheck;
import dev.koder.training.api.EstimateHistory;
import dev.koder.training.api.GpuNode;
import dev.koder.training.api.InvalidSpecException;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobQuery;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.Jobs;
import dev.koder.training.api.Page;
import dev.koder.training.api.Quotas;
import dev.koder.training.api.Severity;
import dev.koder.training.api.StorageException;
import dev.koder.training.api.TenantNames;
import dev.koder.training.api.Tier;
import dev.koder.training.api.TrainingService;
import dev.koder.training.api.ValidationReport;
import dev.koder.training.api.Violation;
import dev.koder.training.core.estimate.Estimator;
import dev.koder.training.core.outbox.Deliveries;
import dev.koder.training.core.registry.ApprovalPolicy;
import dev.koder.training.core.registry.CheckpointRegistry;
import dev.koder.training.core.spec.JobSpecJson;
import dev.koder.training.spi.AccessKeyStore;
import dev.koder.training.spi.Backoff;
import dev.koder.training.spi.BlobStore;
import dev.koder.training.spi.Executor;
import dev.koder.training.spi.GpuInventory;
import dev.koder.training.spi.JobRecord;
import dev.koder.training.spi.JobScheduler;
import dev.koder.training.spi.JobStore;
import dev.koder.training.spi.OutboundSink;
import dev.koder.training.spi.OutboxStore;
import dev.koder.training.spi.PluginConfig;
import dev.koder.training.spi.QuotaLedger;
import dev.koder.training.spi.RegistryListener;
import dev.koder.training.spi.RegistryListenerProvider;
import dev.koder.training.spi.TrackingContext;
import dev.koder.training.spi.TrackingSink;
import dev.koder.training.spi.TrackingStateStore;
import dev.koder.training.spi.TrainingRunner;
import dev.koder.training.spi.UsageSink;
import dev.koder.training.spi.WorkerLease;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training service, embedded: validates and queues jobs, runs their trainers, records everything in its
 * home directory. One process per home runs the jobs (the worker); any other process on the same home
 * submits, lists and cancels through the same store and sees the same jobs.
 *
 * <pre>{@code
 * try (Training training = Training.builder().home(Path.of("/var/lib/training")).build()) {
 *     Job job = training.jobs().submit(JobSpecJson.read(Path.of("lora.json")));
 *     Job done = training.jobs().await(job.id(), Duration.ofHours(1));
 * }
 * }</pre>
 *
 * <p>Runners, executors, stores and sinks passed to the builder are used as given; any found through
 * {@link java.util.ServiceLoader} are added. Closing the service stops running trainers gently (they save a
 * checkpoint) and queues their jobs to resume.
 */
public final class Training implements TrainingService {

    private static final Logger LOG = LoggerFactory.getLogger(Training.class);

    /**
     * Prefix of the outboxes' settings: {@code .max-pending}, {@code .backoff.first}, {@code .backoff.max},
     * {@code .poll}, {@code .close-wait}.
     */
    public static final String OUTBOX_PROPERTY = "training.outbox";
    /** Property naming the runner used when a spec names none. */
    public static final String RUNNER_PROPERTY = "training.runner";
    /** Property naming the executor. */
    public static final String EXECUTOR_PROPERTY = "training.executor";
    /** Property naming the job store. */
    public static final String STORE_PROPERTY = "training.store";
    /** Property naming the worker lease ({@code home}, the default, or that of a shared store such as postgres). */
    public static final String LEASE_PROPERTY = "training.lease";
    /** Property with the trainers run at once by this instance, default 1 (the builder's
     * {@link Builder#maxConcurrentJobs} wins): the CPU slots, whose trainers share the host's cores, and without the GPU
     * scheduler every job's slots. */
    public static final String MAX_CONCURRENT_JOBS_PROPERTY = "training.max-concurrent-jobs";
    /** Property with the folder of the jobs' work folders, default {@code <home>/jobs}; instances that adopt each
     * other's jobs share it. */
    public static final String JOBS_DIR_PROPERTY = "training.jobs.dir";
    /** Property naming the store of tenants and API keys (default: the one named like the job store). */
    public static final String KEYS_PROPERTY = "training.keys";
    /** Property naming the store of uploaded files (default: the one named like the job store). */
    public static final String FILES_PROPERTY = "training.files";
    /** Property naming the store of the checkpoint registry (default: the one named like the job store). */
    public static final String CHECKPOINTS_PROPERTY = "training.checkpoints";
    /** Property naming the store of tracking sinks' state (default: the one named like the job store). */
    public static final String TRACKING_STATE_PROPERTY = "training.tracking-state";
    /** Property naming the store of the sinks' outboxes (default: the one named like the job store). */
    public static final String OUTBOX_STORE_PROPERTY = "training.outboxes";
    /** Property naming the quota ledger. */
    public static final String QUOTA_PROPERTY = "training.quota";
    /** Property naming the job scheduler. */
    public static final String SCHEDULER_PROPERTY = "training.scheduler";
    /** Property naming the GPU inventory. */
    public static final String INVENTORY_PROPERTY = "training.gpu.inventory";
    /** Default price of a GPU-hour (a number); {@code training.price.gpu-hour.<type>} prices one GPU type. */
    public static final String PRICE_PROPERTY = Estimator.Pricing.PRICE_PROPERTY;
    /** The file in the home directory with settings every process on it shares, in java.util.Properties form. */
    public static final String PROPERTIES_FILE = "training.properties";
    /**
     * Property: how long a job's end waits at most for its checkpoints' registrations (ISO-8601, default
     * {@code PT10M}); a registration that takes longer is told after the end.
     */
    public static final String REGISTRATION_WAIT_PROPERTY = "training.registry.end-wait";
    /** Property naming the blob store of checkpoints ({@code fs}, the default, or {@code s3}). */
    public static final String BLOB_PROPERTY = "training.blob";
    /** Currency of prices, default USD. */
    public static final String CURRENCY_PROPERTY = Estimator.Pricing.CURRENCY_PROPERTY;

    private final Path home;
    private final JobStore store;
    private final EventBus bus;
    private final UsageFeed usageFeed;
    private final Engine engine;
    private final Worker worker;
    private final JobService jobs;
    private final WorkerLease lease;
    /** Whether the tracking sinks were started with contexts that send (this instance runs the jobs). */
    private boolean sinksSend;
    /** Whether some registry listener has an outbox, so the registry's recent changes are told again at a start. */
    private final boolean retell;
    private final Plugins<Executor> executors;
    private final ScheduledExecutorService timers;
    private final QuotaLedger ledger;
    private final GpuInventory inventory;
    private final Admission admission;
    private final CheckpointRegistry registry;
    private final ExecutorService registrations;
    private final Thread hook;
    private final TrackingStateStore trackingState;
    private final List<RegistryListener> registryListeners;
    private final OutboxStore outbox;
    private final Deliveries deliveries;
    private final ModelPolicy models;
    private final UploadedFiles files;
    private final AccessKeyStore keys;
    private boolean closed;

    private Training(Builder b) {
        TrainingHome at = TrainingHome.open(b.home, b.properties);
        this.home = at.path;
        PluginConfig config = at.config;
        // settings read before anything is opened, so a malformed one leaves nothing open behind it
        int maxConcurrentJobs = b.maxConcurrentJobs != null ? b.maxConcurrentJobs
                : (int) config.whole(MAX_CONCURRENT_JOBS_PROPERTY, 1, 1, 4096);
        RetryPolicy retry = b.retry != null ? b.retry : RetryPolicy.of(config);
        Assembly parts = new Assembly(at, b);
        this.store = parts.store;
        this.executors = parts.executors;
        this.ledger = parts.ledger;
        this.inventory = parts.inventory;
        this.keys = parts.keys;
        this.trackingState = parts.trackingState;
        this.outbox = parts.outbox;
        this.registryListeners = parts.registryListeners;
        Plugins<TrainingRunner> runners = parts.runners;
        List<TrackingSink> tracking = new ArrayList<>(parts.tracking);
        // usage sinks are fed from the job store, where each attempt's usage is stored with its end
        this.usageFeed = parts.usage.isEmpty() ? null : new UsageFeed(parts.usage, Duration.ofSeconds(1),
                config.duration(OUTBOX_PROPERTY + ".close-wait", Duration.ofSeconds(5)));
        if (usageFeed != null) {
            tracking.add(usageFeed);
        }
        this.bus = new EventBus(tracking);
        this.timers = Executors.newScheduledThreadPool(4, Worker.daemon("training-supervisor"));
        bus.follow(store, config.duration("training.events.poll", Duration.ofSeconds(1)), timers);
        Settings settings = new Settings(maxConcurrentJobs, b.recovery, b.cancelGrace, b.shutdownGrace,
                b.pollInterval, b.maxIssues, b.runtimeMinute, b.quotaMargin, b.poolRefresh,
                retry, b.reconcileInterval,
                config.duration(REGISTRATION_WAIT_PROPERTY, Duration.ofMinutes(10)));
        this.registry = new CheckpointRegistry(parts.checkpoints, parts.blobs, b.clock,
                id -> store.find(id).map(JobRecord::job), b.approvedCacheFor);
        this.registry.approvalPolicy(ApprovalPolicy.of(at.properties));
        this.registry.merger(() -> runners.ranked().stream().map(r -> r.plugin().merger()).flatMap(Optional::stream)
                .findFirst());
        this.registry.evaluators(trainedBy -> {
            List<TrainingRunner> order = new ArrayList<>();
            if (trainedBy != null && runners.names().contains(trainedBy)) {
                order.add(runners.named(trainedBy));
            }
            runners.ranked().forEach(r -> order.add(r.plugin()));
            return order.stream().distinct().map(TrainingRunner::evaluator).flatMap(Optional::stream).toList();
        }, home.resolve("tmp"));
        this.registrations = Executors.newSingleThreadExecutor(Worker.daemon("training-registry"));
        this.engine = new Engine(store, bus, b.clock, settings, runners, executors, at.jobsDir, timers, ledger,
                new Estimator(Estimator.Pricing.of(config), settings.cpuThreadsPerJob()), parts.scheduler, inventory,
                registry, registrations);
        this.admission = new Admission(engine);
        this.models = ModelPolicy.of(at.properties, home, registry, id -> store.find(id).map(JobRecord::job));
        this.files = new UploadedFiles(parts.files, b.clock);
        boolean leads = false;
        if (b.runJobs) {
            at.makeJobsDir();
            this.lease = parts.lease();
            leads = lease.tryAcquire();
            if (!leads) {
                String holder = lease.holder().map(h -> " (" + h + ")").orElse("");
                if (lease.timeout().isZero()) {
                    LOG.info("another process runs the jobs of {}{}; this one submits and watches only", home, holder);
                } else {
                    LOG.info("another instance runs the jobs of the store{}; this one submits and watches, and takes "
                            + "them over once that one has not renewed its lease for {}", holder, lease.timeout());
                }
            }
        } else {
            this.lease = null;
        }
        // a lease that passes on after a timeout makes a standby worker; one the home's lock holds, a client
        this.worker = lease != null && (leads || !lease.timeout().isZero())
                ? new Worker(engine, admission, lease, leads, this::becameWorker) : null;
        this.jobs = new JobService(engine, worker, admission, models);
        this.sinksSend = leads;
        bus.start(this::trackingContext);
        registry.onTransition(bus::checkpointChanged);
        registry.onEvaluation(bus::checkpointEvaluated);
        this.deliveries = new Deliveries(outbox, b.clock, new Backoff(config.duration(OUTBOX_PROPERTY
                + ".backoff.first", Duration.ofSeconds(1)), config.duration(OUTBOX_PROPERTY + ".backoff.max",
                        Duration.ofMinutes(5))), config.positive(OUTBOX_PROPERTY + ".max-pending", 100_000),
                config.duration(OUTBOX_PROPERTY + ".poll", Duration.ofSeconds(1)),
                config.duration(OUTBOX_PROPERTY + ".close-wait", Duration.ofSeconds(5)));
        for (Object sink : java.util.stream.Stream.of(registryListeners, parts.usage, tracking).flatMap(List::stream)
                .distinct().toList()) {
            if (sink instanceof OutboundSink o) {
                deliveries.open(o);
            }
        }
        registry.onEvent(e -> {
            for (RegistryListener l : registryListeners) {
                try {
                    l.onRegistryEvent(e);
                } catch (RuntimeException ex) {
                    LOG.warn("registry listener {} failed on {} of {}: {}", l, e.type(), e.checkpoint().id(),
                            ex.toString());
                }
            }
        });
        this.retell = registryListeners.stream().anyMatch(l -> l instanceof OutboundSink);
        if (worker != null) {
            worker.start();
            this.hook = new Thread(this::close, "training-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
        } else {
            this.hook = null;
        }
    }

    private TrackingContext trackingContext(TrackingSink sink) {
        return new ServiceTrackingContext(() -> worker != null && worker.leads(), home, store, registry,
                trackingState.of(sink.getClass().getName()));
    }

    /**
     * This instance became the worker (at its start, or by taking the lease over): its outboxes deliver, the registry
     * is reconciled with the jobs, and sinks started while another instance ran the jobs start again, now sending.
     */
    private void becameWorker() {
        synchronized (this) {
            if (closed) {
                return;
            }
            if (!sinksSend) {
                sinksSend = true;
                bus.start(this::trackingContext);
            }
        }
        deliveries.startSending();
        registrations.execute(engine::reconcileRegistry);
        if (retell) {
            // what a crash kept from the listeners (between a change and its telling) is told again; each
            // listener's outbox knows what it has, by id
            registrations.execute(() -> registry.retell(engine.clock.instant().minus(Duration.ofDays(7))));
        }
    }

    /** @return a builder with the embedded defaults: home {@code ./.training}, one job at a time */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the jobs of this service, of every tenant (the operator's view) */
    @Override
    public Jobs jobs() {
        return jobs;
    }

    /**
     * One tenant's part of this service: jobs, checkpoints, files and quota that can only see and touch that
     * tenant's objects, with base models and datasets limited by the tenant rules ({@link TenantView}).
     *
     * @param tenant the tenant (an identifier: letters, digits, '.', '_', '-')
     * @param tier the tier its jobs run at
     * @return the tenant's view
     */
    @Override
    public TenantView tenant(String tenant, Tier tier) {
        return new TenantView(this, TenantNames.require(tenant), tier, false);
    }

    JobService jobService() {
        return jobs;
    }

    ModelPolicy models() {
        return models;
    }

    UploadedFiles files() {
        return files;
    }

    /**
     * The tenants and API keys of this home, read from its database on every call, so a key revoked by any process
     * on the home is refused from the next call on.
     *
     * @return the keys
     */
    @Override
    public AccessKeys keys() {
        return keys;
    }

    /** @return the home directory, absolute */
    public Path home() {
        return home;
    }

    /** @return true when this process runs the jobs of its home (false when another process does) */
    public boolean runsJobs() {
        return worker != null && worker.leads();
    }

    /**
     * Runs every check a submitted job goes through, at once and without queueing anything: the spec against
     * its runner, the base model folder, every dataset line by line.
     *
     * @param spec a built spec; relative paths are resolved against the working directory
     * @return everything found
     * @throws dev.koder.training.api.PluginNotFoundException when the spec names a runner that is not installed
     */
    @Override
    public ValidationReport validate(JobSpec spec) {
        JobSpec resolved;
        try {
            resolved = models.resolve(JobSpecJson.resolvePaths(spec, Path.of("").toAbsolutePath()), false);
        } catch (InvalidSpecException e) {
            return JobValidation.validate(spec, e.violations(), List.of(), engine.settings.maxIssues());
        }
        if (resolved.runner().isEmpty() && engine.runners.names().isEmpty()) {
            return JobValidation.validate(resolved, List.of(), List.of("the method was not checked against a runner: "
                    + "none is installed (add dev.koder.training:runner-trl)"), engine.settings.maxIssues());
        }
        Engine.RunnerPick pick = engine.pick(resolved);
        TrainingRunner runner = pick.runner();
        List<Violation> problems = new ArrayList<>(JobService.runnerProblems(runner, resolved));
        Admission.Prepared prepared = admission.prepare(resolved, problems, runner.name(), pick.reason());
        problems.addAll(engine.withJobScheduler(s -> s.check(
                Admission.request("ftjob-validate", resolved, engine.clock.instant(), prepared.estimate()))));
        List<String> notes = new ArrayList<>();
        notes.add("runner: " + runner.name() + " (" + pick.reason() + ")");
        notes.addAll(prepared.notes());
        return JobValidation.validate(resolved, problems, notes, engine.settings.maxIssues());
    }

    /**
     * Estimates what a job would cost, without submitting it: tokens from a scan of its data (exact with the
     * model's tokenizer.json), FLOPs, wall time, GPU-hours and money, and its peak memory per GPU against the
     * GPU it would get, each term explained.
     *
     * @param spec a built spec; relative paths are resolved against the working directory
     * @return the estimate
     * @throws InvalidSpecException when the data is invalid or the model's size cannot be found on this machine
     */
    @Override
    public CostEstimate estimate(JobSpec spec) {
        return estimate(models.resolve(JobSpecJson.resolvePaths(spec, Path.of("").toAbsolutePath()), false), null);
    }

    /** @param historyTenant whose finished jobs calibrate it, or null for all */
    CostEstimate estimate(JobSpec resolved, String historyTenant) {
        Admission.Prepared prepared;
        if (engine.runners.names().isEmpty()) {
            // Nothing installed to pick from: the runner the spec names, else TRL, whose speed was measured.
            prepared = admission.prepare(resolved, List.of(), resolved.runner().orElse("trl"), null, historyTenant);
        } else {
            Engine.RunnerPick pick = engine.pick(resolved);
            prepared = admission.prepare(resolved, List.of(), pick.runner().name(), pick.reason(), historyTenant);
        }
        if (!prepared.report().valid()) {
            List<Violation> problems = new ArrayList<>(prepared.report().violations());
            prepared.report().datasets().forEach(d -> d.issues().stream()
                    .filter(i -> i.severity() == Severity.ERROR).limit(5)
                    .forEach(i -> problems.add(new Violation("", i.toString()))));
            throw new InvalidSpecException("Cannot estimate: the job would fail validation", problems);
        }
        if (prepared.estimate() == null) {
            throw new InvalidSpecException("Cannot estimate", List.of(new Violation("/base_model",
                    String.join("; ", prepared.notes()))));
        }
        return prepared.estimate();
    }

    /** @return the GPU-hour budgets and reservations of this service's tenants */
    @Override
    public Quotas quotas() {
        return ledger;
    }

    /** @return the checkpoint registry: every checkpoint jobs wrote, their lifecycle, downloads */
    @Override
    public Checkpoints checkpoints() {
        return registry;
    }

    /**
     * @return one line per sink with a durable outbox (the webhooks): how many messages wait, how many the receiver
     *     refused for good, how many were dropped because the outbox was full, and the last failure
     */
    public List<String> outboxes() {
        return deliveries.describe();
    }

    /** @return where the registry stores checkpoint files, for example {@code file:///home/blobs} */
    public String blobLocation() {
        return registry.blobs().location();
    }

    /**
     * How far this home's estimates were from what its finished jobs measured, by method and device (wall time,
     * throughput, peak memory), over its most recent succeeded jobs.
     *
     * @param limit the most jobs to look at, newest first (at most 100,000)
     * @return the error distribution per method and device
     */
    @Override
    public EstimateHistory estimateHistory(int limit) {
        return estimateHistory(limit, null);
    }

    /** @param tenant whose jobs only, or null for every tenant's */
    EstimateHistory estimateHistory(int limit, String tenant) {
        List<EstimateCheck> checks = new ArrayList<>();
        String after = null;
        int seen = 0;
        do {
            Page<Job> page = jobs.list(JobQuery.builder().tenant(tenant).status(dev.koder.training.api.JobStatus.SUCCEEDED)
                    .after(after).limit(Math.min(1000, Math.max(1, limit - seen))).build());
            for (Job j : page.items()) {
                EstimateCheck.of(j).ifPresent(checks::add);
            }
            seen += page.items().size();
            after = page.nextCursor();
        } while (after != null && seen < Math.min(limit, 100_000));
        return EstimateHistory.of(checks);
    }

    /**
     * @param job a job
     * @return what each tracking sink says about it (where it is tracked, whether tracking is behind), one line
     *     a sink; empty without tracking sinks
     */
    public List<String> tracking(Job job) {
        return bus.describe(job);
    }

    /** @return the CPU jobs this instance runs at once: its CPU slots ({@value #MAX_CONCURRENT_JOBS_PROPERTY}) */
    public int cpuSlots() {
        return engine.settings.maxConcurrentJobs();
    }

    /** @return the CPU threads each CPU job's trainer gets: this host's cores shared among the CPU slots */
    public int cpuThreadsPerJob() {
        return engine.settings.cpuThreadsPerJob();
    }

    /** @return the GPU pool this service schedules on (empty without a GPU inventory) */
    @Override
    public List<GpuNode> gpuPool() {
        return engine.pool();
    }

    /**
     * Stops running trainers gently (SIGTERM, a checkpoint, SIGKILL after the shutdown grace period), queues
     * their jobs to resume, and releases the home directory.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (worker != null) {
            worker.close();
        }
        timers.shutdown();
        registrations.shutdown();
        try {
            timers.awaitTermination(10, TimeUnit.SECONDS);
            if (!registrations.awaitTermination(60, TimeUnit.SECONDS)) {
                LOG.warn("checkpoint registrations still running after 60 s are stopped; the worker registers a "
                        + "job's last checkpoint when it starts again");
                registrations.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Executor e : executors.created()) {
            e.close();
        }
        // what the sinks were told (a move the events thread has not handed over yet) goes into their outboxes first
        bus.drain();
        if (usageFeed != null) {
            usageFeed.flush();
        }
        deliveries.close();
        for (RegistryListener l : registryListeners) {
            try {
                l.close();
            } catch (RuntimeException e) {
                LOG.warn("registry listener {} failed to close: {}", l, e.toString());
            }
        }
        bus.close();
        outbox.close();
        trackingState.close();
        files.close();
        keys.close();
        store.close();
        ledger.close();
        registry.close();
        if (inventory != null) {
            inventory.close();
        }
        if (lease != null) {
            lease.close();
        }
        if (hook != null && Thread.currentThread() != hook) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                LOG.debug("JVM already shutting down");
            }
        }
    }

    /** Builder of {@link Training}. */
    public static final class Builder {
        Path home = Path.of(".training");
        final List<TrainingRunner> runners = new ArrayList<>();
        final List<Executor> executors = new ArrayList<>();
        final List<JobStore> stores = new ArrayList<>();
        final List<TrackingSink> tracking = new ArrayList<>();
        final List<UsageSink> usage = new ArrayList<>();
        final List<RegistryListener> registryListeners = new ArrayList<>();
        final List<QuotaLedger> ledgers = new ArrayList<>();
        final List<WorkerLease> leases = new ArrayList<>();
        final List<BlobStore> blobStores = new ArrayList<>();
        Duration approvedCacheFor = Duration.ofSeconds(2);
        final List<GpuInventory> inventories = new ArrayList<>();
        final List<JobScheduler> schedulers = new ArrayList<>();
        double quotaMargin = 0.25;
        Duration poolRefresh = Duration.ofSeconds(10);
        Duration reconcileInterval = Duration.ofSeconds(10);
        final Map<String, String> properties = new LinkedHashMap<>();
        Clock clock = Clock.systemUTC();
        Integer maxConcurrentJobs;
        RecoveryPolicy recovery = RecoveryPolicy.RESUME;
        RetryPolicy retry;
        Duration cancelGrace = Duration.ofSeconds(60);
        Duration shutdownGrace = Duration.ofSeconds(30);
        Duration pollInterval = Duration.ofMillis(250);
        int maxIssues = 50;
        Duration runtimeMinute = Duration.ofMinutes(1);
        boolean runJobs = true;
        boolean discover = true;

        private Builder() {
        }

        /** @param home folder for the database, job folders and logs; default ./.training @return this */
        public Builder home(Path home) {
            this.home = home;
            return this;
        }

        /** @param runner a runner to offer, beside those found on the class path @return this */
        public Builder runner(TrainingRunner runner) {
            this.runners.add(runner);
            return this;
        }

        /** @param executor the executor to use instead of the local one @return this */
        public Builder executor(Executor executor) {
            this.executors.add(executor);
            return this;
        }

        /** @param store the job store to use instead of the embedded SQLite one @return this */
        public Builder jobStore(JobStore store) {
            this.stores.add(store);
            return this;
        }

        /** @param sink receives every job event @return this */
        public Builder trackingSink(TrackingSink sink) {
            this.tracking.add(sink);
            return this;
        }

        /** @param store where checkpoint files go instead of {@code <home>/blobs} @return this */
        public Builder blobStore(BlobStore store) {
            this.blobStores.add(store);
            return this;
        }

        /**
         * @param d how long "the approved checkpoint of a model" is cached; other processes' approvals are seen
         *     after at most this long (default 2 s)
         * @return this
         */
        public Builder approvedCacheFor(Duration d) {
            this.approvedCacheFor = nonNegative("approvedCacheFor", d);
            return this;
        }

        /**
         * @param listener told of every registration, approval, deprecation, export and evaluation of a checkpoint,
         *     beside those found through {@code RegistryListenerProvider}; one that is also an {@link OutboundSink}
         *     gets a durable outbox
         * @return this
         */
        public Builder registryListener(RegistryListener listener) {
            this.registryListeners.add(listener);
            return this;
        }

        /** @param sink receives a usage record per trainer attempt @return this */
        public Builder usageSink(UsageSink sink) {
            this.usage.add(sink);
            return this;
        }

        /** @param ledger the quota ledger to use instead of the embedded SQLite one @return this */
        public Builder quotaLedger(QuotaLedger ledger) {
            this.ledgers.add(ledger);
            return this;
        }

        /**
         * @param lease the lease that decides whether this instance runs the jobs, instead of the home's lock file or
         *     the store's lease; it is closed with the service
         * @return this
         */
        public Builder workerLease(WorkerLease lease) {
            this.leases.add(lease);
            return this;
        }

        /** @param inventory the GPUs to schedule on, instead of a discovered inventory @return this */
        public Builder gpuInventory(GpuInventory inventory) {
            this.inventories.add(inventory);
            return this;
        }

        /** @param scheduler the job scheduler to use instead of a discovered one @return this */
        public Builder jobScheduler(JobScheduler scheduler) {
            this.schedulers.add(scheduler);
            return this;
        }

        /**
         * @param margin how far past its reservation a job may run before it is stopped with a checkpoint, at
         *     least 0; default 0.25 (25% more)
         * @return this
         */
        public Builder quotaMargin(double margin) {
            if (!(margin >= 0)) {
                throw new IllegalArgumentException("quotaMargin must be 0 or more, got " + margin);
            }
            this.quotaMargin = margin;
            return this;
        }

        /** @param interval how often the GPU inventory is read; default 10 s @return this */
        public Builder poolRefresh(Duration interval) {
            this.poolRefresh = nonNegative("poolRefresh", interval);
            return this;
        }

        /**
         * @param interval how often the worker looks for running jobs no supervisor watches (a trainer whose end
         *     was never recorded, a cancel never acted on) and settles them; default 10 s
         * @return this
         */
        public Builder reconcileInterval(Duration interval) {
            this.reconcileInterval = nonNegative("reconcileInterval", interval);
            return this;
        }

        /** @param key configuration property @param value its value @return this */
        public Builder property(String key, String value) {
            this.properties.put(key, value);
            return this;
        }

        /** @param clock clock for timestamps @return this */
        public Builder clock(Clock clock) {
            this.clock = java.util.Objects.requireNonNull(clock, "clock");
            return this;
        }

        private static Duration nonNegative(String name, Duration d) {
            if (d == null || d.isNegative()) {
                throw new IllegalArgumentException(name + " must be zero or more, got " + d);
            }
            return d;
        }

        private static Duration positive(String name, Duration d) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be more than zero, got " + d);
            }
            return d;
        }

        /**
         * @param jobs trainers run at once by this process, at least 1; default the property
         *     {@value Training#MAX_CONCURRENT_JOBS_PROPERTY}, else 1
         * @return this
         */
        public Builder maxConcurrentJobs(int jobs) {
            if (jobs < 1) {
                throw new IllegalArgumentException("maxConcurrentJobs must be at least 1, got " + jobs);
            }
            this.maxConcurrentJobs = jobs;
            return this;
        }

        /**
         * @param policy which failed attempts are retried from the last checkpoint, how often and after what wait;
         *     by default {@link RetryPolicy#DEFAULT} with what the home's training.properties set
         * @return this
         */
        public Builder retryPolicy(RetryPolicy policy) {
            this.retry = java.util.Objects.requireNonNull(policy, "retry policy");
            return this;
        }

        /** @param policy what to do with jobs whose trainer vanished; default resume @return this */
        public Builder recovery(RecoveryPolicy policy) {
            this.recovery = java.util.Objects.requireNonNull(policy, "recovery");
            return this;
        }

        /** @param grace time between SIGTERM and SIGKILL on cancel or timeout; default 60 s @return this */
        public Builder cancelGracePeriod(Duration grace) {
            this.cancelGrace = nonNegative("cancelGracePeriod", grace);
            return this;
        }

        /** @param grace time trainers get when the service closes; default 30 s @return this */
        public Builder shutdownGracePeriod(Duration grace) {
            this.shutdownGrace = nonNegative("shutdownGracePeriod", grace);
            return this;
        }

        /** @param interval how often trainer events and cancel requests are read; default 250 ms @return this */
        public Builder pollInterval(Duration interval) {
            this.pollInterval = positive("pollInterval", interval);
            return this;
        }

        /** @param limit dataset findings listed per file; default 50 @return this */
        public Builder maxIssues(int limit) {
            if (limit < 1) {
                throw new IllegalArgumentException("maxIssues must be at least 1, got " + limit);
            }
            this.maxIssues = limit;
            return this;
        }

        /**
         * @param run whether this instance may run jobs: it does when it takes the worker lease (no other process on
         *     the home, or on a shared store, holds it); on a shared store it stands by to take the lease over;
         *     false makes a client that only submits and watches; default true
         * @return this
         */
        public Builder runJobs(boolean run) {
            this.runJobs = run;
            return this;
        }

        /** Shortens a minute of max_runtime_minutes, so tests of timeouts need not wait minutes. */
        Builder runtimeMinute(Duration minute) {
            this.runtimeMinute = minute;
            return this;
        }

        /** @param discover whether to add plugins found by ServiceLoader; default true @return this */
        public Builder discoverPlugins(boolean discover) {
            this.discover = discover;
            return this;
        }

        /**
         * @return the running service
         * @throws StorageException when the home directory or its database cannot be used
         * @throws dev.koder.training.api.PluginNotFoundException when no job store is available
         */
        public Training build() {
            return new Training(this);
        }
    }
}
