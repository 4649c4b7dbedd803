package dev.koder.training.core.registry;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.koder.training.api.ApprovalRefusedException;
import dev.koder.training.api.ApprovalVerdict;
import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.CheckpointExport;
import dev.koder.training.api.CheckpointNotFoundException;
import dev.koder.training.api.CheckpointQuery;
import dev.koder.training.api.CheckpointStage;
import dev.koder.training.api.Checkpoints;
import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.DatasetReport;
import dev.koder.training.api.Evaluation;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.Page;
import dev.koder.training.api.PluginNotFoundException;
import dev.koder.training.api.StorageException;
import dev.koder.training.core.blob.Digests;
import dev.koder.training.core.data.DatasetValidator;
import dev.koder.training.core.internal.Folders;
import dev.koder.training.core.internal.SortableIds;
import dev.koder.training.spi.AdapterMerger;
import dev.koder.training.spi.BlobStore;
import dev.koder.training.spi.CheckpointEvaluator;
import dev.koder.training.spi.CheckpointStore;
import dev.koder.training.spi.Json;
import dev.koder.training.spi.RegistryEvent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The checkpoint registry: registers what jobs write (files hashed, stored as blobs and verified before the
 * row that points at them is written), moves checkpoints through their lifecycle, answers queries, keeps a
 * job's last intermediate checkpoints, and deletes blobs nothing refers to.
 */
public final class CheckpointRegistry implements Checkpoints, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CheckpointRegistry.class);
    /** Written into a downloaded checkpoint's folder: a job that starts from that folder records it as parent. */
    public static final String MARKER = ".training-checkpoint";
    private static final int ATTEMPTS = 3;

    private final CheckpointStore rows;
    private final BlobStore blobs;
    private final Clock clock;
    private final Function<String, Optional<Job>> jobs;
    private final SortableIds ids = new SortableIds("ckpt-");
    private final Cache<String, Optional<Checkpoint>> approved;
    private final Map<String, Map<String, String>> datasetHashes = new ConcurrentHashMap<>();
    private volatile Consumer<Checkpoint> onTransition = c -> { };
    private volatile ApprovalPolicy policy = ApprovalPolicy.NONE;
    private volatile Supplier<Optional<AdapterMerger>> merger = Optional::empty;
    private final CheckpointExporter exporter = new CheckpointExporter(this, () -> merger.get());
    private volatile Function<String, List<CheckpointEvaluator>> evaluators = runner -> List.of();
    private volatile Path scratch = Path.of(System.getProperty("java.io.tmpdir"));
    private volatile BiConsumer<Checkpoint, Evaluation> onEvaluation = (c, e) -> { };
    private volatile Consumer<RegistryEvent> onEvent = e -> { };
    private final SortableIds evaluationIds = new SortableIds("eval-");

    /**
     * @param rows the registry's tables
     * @param blobs where files go
     * @param clock the time
     * @param jobs looks up a job (for a resumed job's parent)
     * @param cacheFor how long "the approved checkpoint of a model" is cached (transitions in this process
     *     clear it at once)
     */
    public CheckpointRegistry(CheckpointStore rows, BlobStore blobs, Clock clock,
            Function<String, Optional<Job>> jobs, Duration cacheFor) {
        this.rows = rows;
        this.blobs = blobs;
        this.clock = clock;
        this.jobs = jobs;
        this.approved = Caffeine.newBuilder().expireAfterWrite(cacheFor).maximumSize(10_000).build();
    }

    /**
     * @param listener told of every checkpoint this registry moves to another stage, after the move is stored
     *     (tracking sinks mirror approvals); it must return quickly
     */
    public void onTransition(Consumer<Checkpoint> listener) {
        this.onTransition = listener;
    }

    /** @param policy the approval gate every approval passes through ({@link ApprovalPolicy#NONE} by default) */
    public void approvalPolicy(ApprovalPolicy policy) {
        this.policy = policy;
    }

    /**
     * @param merger finds the tool that merges an adapter into its base, for merged exports (none by default); asked
     *     only when an export needs one
     */
    public void merger(Supplier<Optional<AdapterMerger>> merger) {
        this.merger = merger;
    }

    /**
     * @param evaluators the evaluators to try for a checkpoint, given the name of the runner that trained it (null
     *     when unknown): that runner's first
     * @param scratch where an evaluation copies the checkpoint's files while it runs
     */
    public void evaluators(Function<String, List<CheckpointEvaluator>> evaluators, Path scratch) {
        this.evaluators = evaluators;
        this.scratch = scratch;
        // what an evaluation killed mid-way left; a live one writes into its folder far more often than this
        dev.koder.training.core.internal.Folders.deleteStale(scratch, "eval-", STALE_SCRATCH);
    }

    /** How long a scratch folder of an evaluation or an export stays unchanged before it counts as a leftover. */
    static final java.time.Duration STALE_SCRATCH = java.time.Duration.ofHours(24);

    /**
     * @param listener told of every evaluation this registry keeps, after it is stored (tracking sinks send its
     *     figures); it must return quickly
     */
    public void onEvaluation(BiConsumer<Checkpoint, Evaluation> listener) {
        this.onEvaluation = listener;
    }

    /**
     * @param listener told of every registration, approval, deprecation, export and evaluation this registry makes,
     *     after it is stored, on the thread that made it; it must return quickly
     */
    public void onEvent(Consumer<RegistryEvent> listener) {
        this.onEvent = listener;
    }

    /** Tells the listener, which must not undo the change it is told of by failing. */
    void tell(String id, String type, Checkpoint c, String actor, Map<String, Object> details) {
        tell(id, type, c, actor, clock.instant(), details);
    }

    private void tell(String id, String type, Checkpoint c, String actor, java.time.Instant time,
            Map<String, Object> details) {
        try {
            onEvent.accept(new RegistryEvent(id, type, c, actor, time, details));
        } catch (RuntimeException e) {
            LOG.warn("a registry listener failed on {} of {}: {}", type, c.id(), e.toString());
        }
    }

    /**
     * Tells the listener again of every registration and stage move since a time, with the same ids: after a crash
     * between a change and its telling, a listener that deduplicates by id (an outbox) gets what it missed.
     *
     * @param since how far back
     * @return how many were told
     */
    public int retell(java.time.Instant since) {
        int told = 0;
        String after = null;
        do {
            Page<Checkpoint> page = rows.list(CheckpointQuery.builder().after(after).limit(500).build());
            for (Checkpoint c : page.items()) {
                List<Checkpoint.Transition> history = rows.history(c.id());
                if (c.createdAt().isBefore(since) && history.stream().noneMatch(t -> t.time().isAfter(since))) {
                    continue;
                }
                for (Checkpoint.Transition t : history) {
                    if (t.from() == null) {
                        tell(c.id() + "/registered", RegistryEvent.REGISTERED, c, t.actor(), t.time(), registered(c));
                    } else {
                        tell(c.id() + "/" + t.to().wireName(), t.to() == CheckpointStage.APPROVED ? RegistryEvent.APPROVED
                                : RegistryEvent.DEPRECATED, c, t.actor(), t.time(), moved(t));
                    }
                    told++;
                }
            }
            after = page.nextCursor();
        } while (after != null);
        return told;
    }

    private static Map<String, Object> registered(Checkpoint c) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("job_id", c.jobId());
        d.put("step", c.step());
        d.put("final", c.last());
        d.put("metrics", new java.util.TreeMap<>(c.metrics()));
        return d;
    }

    private static Map<String, Object> moved(Checkpoint.Transition t) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("from", t.from().wireName());
        d.put("to", t.to().wireName());
        d.put("reason", t.reason());
        d.put("override", t.override());
        return d;
    }

    /** @return the blob store */
    public BlobStore blobs() {
        return blobs;
    }

    /**
     * Registers a checkpoint folder a job wrote, as DRAFT. Registering the same folder of the same job again
     * returns the first registration.
     *
     * @param job the job
     * @param folder the checkpoint folder
     * @param step the step it was written at
     * @param last whether it is the job's final output
     * @param metrics the job's figures at that step
     * @param progress told the bytes stored so far
     * @return the checkpoint
     * @throws IOException when the folder cannot be read or is not a checkpoint, or the blobs cannot be stored
     */
    public Checkpoint register(Job job, Path folder, long step, boolean last, Map<String, Double> metrics,
            LongConsumer progress) throws IOException {
        Path dir = folder.toAbsolutePath().normalize();
        String source = dir.toString();
        Optional<Checkpoint> earlier = rows.bySource(job.id(), source);
        if (earlier.isPresent()) {
            return earlier.get();
        }
        ArtifactInspector.Inspection inspection = ArtifactInspector.inspect(dir);
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(dir)) {
            paths = walk.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().equals(MARKER))
                    .sorted().toList();
        }
        List<Checkpoint.File> files = new ArrayList<>();
        for (Path p : paths) {
            files.add(new Checkpoint.File(dir.relativize(p).toString().replace('\\', '/'), Files.size(p),
                    Digests.sha256(p)));
        }
        Checkpoint.Lineage lineage = lineage(job);
        JobSpec spec = job.spec();
        for (int attempt = 1;; attempt++) {
            long done = 0;
            for (int i = 0; i < paths.size(); i++) {
                long before = done;
                blobs.put(paths.get(i), files.get(i).sha256(), n -> progress.accept(before + n));
                done += files.get(i).size();
            }
            Checkpoint c = Checkpoint.builder().id(ids.next(clock.instant())).jobId(job.id()).tenant(spec.tenant())
                    .baseModel(spec.baseModel()).method(spec.method().label()).step(step).last(last).metrics(metrics)
                    .format(inspection.format()).artifact(inspection.artifact()).files(files).lineage(lineage)
                    .stage(CheckpointStage.DRAFT).createdAt(clock.instant()).blobStore(blobs.location()).build();
            try {
                Checkpoint stored = rows.register(c, source, sha -> blobs.stat(sha).isPresent(), "training",
                        (last ? "final output" : "checkpoint at step " + step) + " of job " + job.id());
                tell(stored.id() + "/registered", RegistryEvent.REGISTERED, stored, "training", registered(stored));
                if (!last) {
                    Integer keep = spec.checkpoints() == null ? null : spec.checkpoints().keepLast();
                    List<CheckpointStore.Dropped> dropped = rows.retain(job.id(), keep == null ? 2 : keep);
                    List<String> deleted = dropped.stream().map(CheckpointStore.Dropped::id).toList();
                    if (!deleted.isEmpty()) {
                        LOG.info("job {}: kept its last {} intermediate checkpoints, deleted {}", job.id(), keep,
                                deleted);
                        // The registry decides retention, not the trainer (which keeps every checkpoint it saves):
                        // a dropped checkpoint's folder goes once it is registered and dropped, never before.
                        dropped.forEach(d -> deleteFolder(d.source()));
                        try {
                            collectGarbage();
                        } catch (StorageException e) {
                            // the checkpoint is registered; unused blobs wait for the next collection
                            LOG.warn("job {}: {}", job.id(), e.getMessage());
                        }
                    }
                }
                return stored;
            } catch (CheckpointStore.BlobMissingException e) {
                if (attempt == ATTEMPTS) {
                    throw new IOException("registering " + dir + ": " + e.getMessage() + " again and again", e);
                }
                LOG.info("registering {}: {}; storing it again", dir, e.getMessage());
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
        }
    }

    /** @param jobId a job @param folder a folder it wrote @return whether that folder is registered for the job */
    public boolean registered(String jobId, String folder) {
        return rows.bySource(jobId, Path.of(folder).toAbsolutePath().normalize().toString()).isPresent();
    }

    /** Deletes a dropped checkpoint's folder from its job's output, when it is a trainer's checkpoint folder. */
    private static void deleteFolder(String source) {
        if (source == null) {
            return;
        }
        Path dir = Path.of(source);
        if (!Files.isDirectory(dir) || !dir.getFileName().toString().startsWith("checkpoint-")) {
            return;
        }
        try {
            Folders.deleteTree(dir);
        } catch (IOException e) {
            LOG.warn("cannot delete the dropped checkpoint folder {}: {}", dir, e.getMessage());
        }
    }

    /**
     * Deletes blobs no checkpoint refers to; safe while checkpoints are being registered.
     *
     * @return how many were deleted
     */
    public int collectGarbage() {
        try {
            return rows.collectGarbage(blobs::delete);
        } catch (UncheckedIOException e) {
            throw new StorageException("Cannot delete unused blobs from " + blobs.location() + ": "
                    + e.getCause().getMessage(), true, e.getCause());
        }
    }

    /**
     * @param job a job
     * @return what its checkpoints are made from: the spec's SHA-256, each dataset's, the base model's revision
     * @throws IOException when a dataset cannot be read
     */
    public Checkpoint.Lineage lineage(Job job) throws IOException {
        JobSpec spec = job.spec();
        String specHash = Digests.hex(Digests.sha256().digest(Json.write(spec).getBytes(StandardCharsets.UTF_8)));
        Map<String, String> data = datasetHashes.get(job.id());
        if (data == null) {
            data = new LinkedHashMap<>();
            data.put(spec.trainingData().path(), hashIfFile(Path.of(spec.trainingData().path())));
            if (spec.validationData().isPresent()) {
                String v = spec.validationData().get().path();
                data.put(v, hashIfFile(Path.of(v)));
            }
            datasetHashes.put(job.id(), data);
        }
        return new Checkpoint.Lineage(specHash, data, BaseModels.revision(spec.baseModel()), parent(job));
    }

    private static String hashIfFile(Path p) throws IOException {
        return Files.isRegularFile(p) ? Digests.sha256(p) : "missing";
    }

    /** The checkpoint a job continues: its parent job's last one, or the registry folder it starts from. */
    private String parent(Job job) throws IOException {
        if (job.resumedFrom() != null) {
            Optional<Job> parent = jobs.apply(job.resumedFrom());
            if (parent.isPresent() && parent.get().lastCheckpoint() != null) {
                Optional<Checkpoint> c = rows.bySource(parent.get().id(),
                        Path.of(parent.get().lastCheckpoint()).toAbsolutePath().normalize().toString());
                if (c.isPresent()) {
                    return c.get().id();
                }
            }
        }
        Path marker = Path.of(job.spec().baseModel()).resolve(MARKER);
        if (job.spec().baseModel().startsWith("/") && Files.isRegularFile(marker)) {
            String id = Files.readString(marker).trim();
            return rows.find(id).isPresent() ? id : null;
        }
        return null;
    }

    @Override
    public Page<Checkpoint> list(CheckpointQuery query) {
        return rows.list(query);
    }

    @Override
    public Checkpoint get(String id) {
        return rows.find(id).orElseThrow(() -> new CheckpointNotFoundException(id));
    }

    @Override
    public Checkpoint approve(String id, String actor, String reason) {
        return approve(id, actor, reason, false);
    }

    @Override
    public Checkpoint approveOverriding(String id, String actor, String reason) {
        return approve(id, actor, reason, true);
    }

    private Checkpoint approve(String id, String actor, String reason, boolean override) {
        Checkpoint c = get(id);
        if (!c.stage().canBecome(CheckpointStage.APPROVED)) {
            return transition(id, c.stage(), CheckpointStage.APPROVED, actor, reason);
        }
        requireActor(actor, CheckpointStage.APPROVED);
        ApprovalVerdict verdict = gate(c, actor);
        if (!verdict.allowed() && !override) {
            throw new ApprovalRefusedException(verdict);
        }
        List<ApprovalVerdict.Rule> rules = policy.rulesFor(c.tenant()).isEmpty() ? null : verdict.rules();
        if (!verdict.allowed()) {
            LOG.warn("checkpoint {}: {} overrides the approval gate ({}): {}", id, actor, verdict.failures(), reason);
        }
        return transition(id, c.stage(), CheckpointStage.APPROVED, actor, reason, rules, !verdict.allowed());
    }

    @Override
    public ApprovalVerdict gate(String id, String actor) {
        return gate(get(id), actor);
    }

    private ApprovalVerdict gate(Checkpoint c, String actor) {
        ApprovalPolicy p = policy;
        if (p.rulesFor(c.tenant()).isEmpty()) {
            return ApprovalVerdict.of(c.id(), actor, List.of());
        }
        Optional<Evaluation> newest = newest(rows.evaluations(c.id()), null);
        Optional<Checkpoint> approvedNow = rows.approved(c.tenant(), c.baseModel());
        String data = newest.map(Evaluation::dataSha256).orElse(null);
        return p.check(withFigures(c, newest), actor, jobs.apply(c.jobId()), approvedNow.map(a -> withFigures(a,
                data == null ? Optional.empty() : newest(rows.evaluations(a.id()), data))));
    }

    /** The newest evaluation, of data with this SHA-256 when one is given. */
    private static Optional<Evaluation> newest(List<Evaluation> all, String dataSha256) {
        return all.stream().filter(e -> dataSha256 == null || e.dataSha256().equals(dataSha256))
                .reduce((a, b) -> b);
    }

    /** A checkpoint's figures with an evaluation's over them: what the gate reads. */
    private static Checkpoint withFigures(Checkpoint c, Optional<Evaluation> e) {
        if (e.isEmpty()) {
            return c;
        }
        Map<String, Double> figures = new LinkedHashMap<>(c.metrics());
        figures.putAll(e.get().metrics());
        return c.toBuilder().metrics(figures).build();
    }

    @Override
    public Evaluation evaluate(String id, DatasetRef data, String actor, Consumer<String> progress) {
        Checkpoint c = get(id);
        if (actor == null || actor.isBlank()) {
            throw new IllegalArgumentException("an actor is required to evaluate a checkpoint");
        }
        Path file = Path.of(data.path()).toAbsolutePath().normalize();
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("The evaluation data " + file + " is not a file.");
        }
        DatasetFormat format = data.format();
        Optional<Job> job = jobs.apply(c.jobId());
        CheckpointEvaluator evaluator = evaluators.apply(job.map(Job::runner).orElse(null)).stream()
                .filter(e -> e.supports(format)).findFirst().orElseThrow(() -> new PluginNotFoundException(
                        "No installed runner scores " + format.wireName() + " data on demand; add "
                                + (format.encoder() ? "dev.koder.training:runner-sentence-transformers"
                                        : "dev.koder.training:runner-trl") + "."));
        DatasetReport report = DatasetValidator.builder().maxIssues(5).build().validate(file, format);
        if (!report.valid()) {
            throw new IllegalArgumentException(file + " is not valid " + format.wireName() + " data ("
                    + report.errors() + (report.errors() == 1 ? " error" : " errors") + "): " + String.join("; ",
                            report.issues().stream().map(Object::toString).toList()));
        }
        BaseModels.requireSame(c, "evaluate it beside its base");
        int maxSeqLength = job.map(j -> j.spec().hyperparameters().maxSeqLength()).orElse(null) == null ? 2048
                : job.get().spec().hyperparameters().maxSeqLength();
        double beta = job.map(j -> j.spec().method().dpo()).map(d -> d.beta()).orElse(0.1);
        Path work;
        try {
            Files.createDirectories(scratch);
            work = Files.createTempDirectory(scratch, "eval-");
        } catch (IOException e) {
            throw new StorageException("Cannot make a scratch folder in " + scratch + ": " + e.getMessage(), false, e);
        }
        try {
            String sha = Digests.sha256(file);
            Path files = work.resolve("checkpoint");
            copyFiles(c, files, n -> { });
            progress.accept("scoring " + c.id() + " and its base model on " + report.stats().examples() + " examples"
                    + " of " + file);
            CheckpointEvaluator.Result r = evaluator.evaluate(new CheckpointEvaluator.Request(c.baseModel(), files,
                    file, format, maxSeqLength, beta), work.resolve("work"), progress);
            if (!sha.equals(Digests.sha256(file))) {
                throw new IllegalStateException("The evaluation data " + file + " changed while it was scored; "
                        + "evaluate again on a file that stays put.");
            }
            Evaluation e = new Evaluation(evaluationIds.next(clock.instant()), c.id(), data.path(), sha, format,
                    r.examples(), r.metrics(), r.baseMetrics(), actor.strip(), clock.instant(), r.device());
            rows.addEvaluation(e);
            onEvaluation.accept(c, e);
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("evaluation_id", e.id());
            details.put("data_sha256", e.dataSha256());
            details.put("format", e.format().wireName());
            details.put("examples", e.examples());
            details.put("metrics", e.metrics());
            details.put("base_metrics", e.baseMetrics());
            tell(e.id(), RegistryEvent.EVALUATED, c, e.actor(), details);
            return e;
        } catch (IOException e) {
            throw new StorageException("Evaluation of checkpoint " + id + " failed: " + e.getMessage(), false, e);
        } finally {
            try {
                Folders.deleteTree(work);
            } catch (IOException e) {
                LOG.warn("cannot delete the evaluation's scratch folder {}: {}", work, e.getMessage());
            }
        }
    }

    @Override
    public List<Evaluation> evaluations(String id) {
        get(id);
        return rows.evaluations(id);
    }

    @Override
    public Checkpoint deprecate(String id, String actor, String reason) {
        return move(id, CheckpointStage.DEPRECATED, actor, reason);
    }

    private Checkpoint move(String id, CheckpointStage to, String actor, String reason) {
        return transition(id, get(id).stage(), to, actor, reason);
    }

    /**
     * Moves a checkpoint from the stage the caller saw to another: of concurrent moves from the same stage
     * exactly one wins, the others get an {@link IllegalCheckpointStateException} with
     * {@link IllegalCheckpointStateException#conflict()} true.
     *
     * @param id the checkpoint
     * @param from the stage the caller saw
     * @param to the new stage
     * @param actor who (required)
     * @param reason why (required)
     * @return the checkpoint after the move
     */
    public Checkpoint transition(String id, CheckpointStage from, CheckpointStage to, String actor, String reason) {
        return transition(id, from, to, actor, reason, null, false);
    }

    private static void requireActor(String actor, CheckpointStage to) {
        if (actor == null || actor.isBlank()) {
            throw new IllegalArgumentException("an actor is required to make a checkpoint " + to.wireName());
        }
    }

    private Checkpoint transition(String id, CheckpointStage from, CheckpointStage to, String actor, String reason,
            List<ApprovalVerdict.Rule> gate, boolean override) {
        if (reason == null || reason.isBlank()) {
            throw new IllegalArgumentException("a reason is required to make a checkpoint " + to.wireName()
                    + (override ? " against the approval gate" : ""));
        }
        requireActor(actor, to);
        Checkpoint moved;
        try {
            moved = rows.transition(new Checkpoint.Transition(id, from, to, actor.strip(), clock.instant(),
                    reason.strip(), gate, override));
        } finally {
            approved.invalidateAll();
        }
        onTransition.accept(moved);
        List<Checkpoint.Transition> trail = rows.history(id);
        Checkpoint.Transition last = trail.get(trail.size() - 1);
        tell(id + "/" + to.wireName(), to == CheckpointStage.APPROVED ? RegistryEvent.APPROVED : RegistryEvent.DEPRECATED,
                moved, actor.strip(), moved(last));
        return moved;
    }

    @Override
    public List<Checkpoint> ancestry(String id) {
        List<Checkpoint> chain = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        Optional<Checkpoint> next = Optional.of(get(id));
        while (next.isPresent() && seen.add(next.get().id())) {
            Checkpoint c = next.get();
            chain.add(c);
            String parent = c.lineage() == null ? null : c.lineage().parent();
            next = parent == null ? Optional.empty() : rows.find(parent);
        }
        return chain;
    }

    @Override
    public List<Checkpoint.Transition> history(String id) {
        get(id);
        return rows.history(id);
    }

    @Override
    public Optional<Checkpoint> approved(String tenant, String baseModel) {
        return approved.get(tenant + "\n" + baseModel, k -> rows.approved(tenant, baseModel));
    }

    /**
     * @param tenant whose fine-tunes
     * @param baseModel a base model
     * @return the tenant's approved checkpoint of it, read from the database (no cache)
     */
    public Optional<Checkpoint> approvedUncached(String tenant, String baseModel) {
        return rows.approved(tenant, baseModel);
    }

    @Override
    public Path download(String id, Path dir, LongConsumer progress) {
        Checkpoint c = get(id);
        Path root = dir.toAbsolutePath().normalize();
        copyFiles(c, root, progress);
        try {
            Files.writeString(root.resolve(MARKER), id + "\n");
        } catch (IOException e) {
            throw new StorageException("Cannot write " + root.resolve(MARKER) + ": " + e.getMessage(), false, e);
        }
        return root;
    }

    /**
     * Copies a checkpoint's files from the blob store into a folder, checking each one's size (the blob store checks
     * the SHA-256).
     *
     * @param c the checkpoint
     * @param root the folder; files keep their paths inside the checkpoint
     * @param progress told the bytes copied so far
     * @throws StorageException when a blob is missing or corrupt; the file is not left behind
     */
    void copyFiles(Checkpoint c, Path root, LongConsumer progress) {
        long done = 0;
        for (Checkpoint.File f : c.files()) {
            Path target = root.resolve(f.path()).normalize();
            if (!target.startsWith(root)) {
                throw new StorageException("Checkpoint " + c.id() + " has a file outside its folder: " + f.path(),
                        false, null);
            }
            long before = done;
            try {
                Files.createDirectories(target.getParent());
                blobs.get(f.sha256(), target, n -> progress.accept(before + n));
                long size = Files.size(target);
                if (size != f.size()) {
                    Files.deleteIfExists(target);
                    throw new BlobStore.BlobIntegrityException(f.path() + " has " + size + " bytes, the registry says "
                            + f.size());
                }
            } catch (IOException e) {
                throw new StorageException("Download of checkpoint " + c.id() + " failed at " + f.path() + ": "
                        + e.getMessage(), !(e instanceof BlobStore.BlobIntegrityException), e);
            }
            done += f.size();
        }
    }

    @Override
    public CheckpointExport export(String id, Path dir, boolean merged, LongConsumer progress) {
        return exporter.export(id, dir, merged, progress);
    }

    @Override
    public List<CheckpointExport> exports(String id) {
        get(id);
        return rows.exports(id);
    }

    CheckpointStore rows() {
        return rows;
    }

    java.time.Instant now() {
        return clock.instant();
    }

    @Override
    public void close() {
        rows.close();
        blobs.close();
    }
}
