package dev.koder.training.core;

import dev.koder.training.api.AvailableModel;
import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.CheckpointNotFoundException;
import dev.koder.training.api.CheckpointQuery;
import dev.koder.training.api.InvalidSpecException;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobQuery;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.Page;
import dev.koder.training.api.StorageException;
import dev.koder.training.api.Violation;
import dev.koder.training.core.internal.Folders;
import dev.koder.training.core.internal.HuggingFaceCache;
import dev.koder.training.core.registry.CheckpointRegistry;
import java.io.IOException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which base models a job may name, and what a tenant is told a job's model is. A spec's {@code base_model} is
 * one of:
 * <ul>
 *   <li>a hub id ({@code org/name}), which the runner loads from the Hugging Face cache (for a tenant, only one
 *       that is in this machine's cache);</li>
 *   <li>a folder under one of the operator's model roots ({@code training.models.roots}), by its absolute path or
 *       its name relative to the root; outside a tenant's scope any folder when {@code training.models.any-folder}
 *       is true (the default, for one's own machine);</li>
 *   <li>one of the tenant's own registered checkpoints: its id ({@code ckpt-...}) or its OpenAI-style name
 *       ({@code ft:BASE:TENANT:SUFFIX:JOB[:ckpt-step-N]}). The checkpoint is copied, verified, into
 *       {@code <home>/models/<id>} and the job trains from that copy, recording the checkpoint as its parent.</li>
 * </ul>
 * Anything else is refused with {@link #REFUSED}, the same sentence whatever the reason, so the answer says
 * nothing about the server's files.
 */
final class ModelPolicy {

    /** Property: model root folders, separated by commas. */
    static final String ROOTS_PROPERTY = "training.models.roots";
    /** Property: whether the unscoped (operator) facade accepts any model folder; default true. */
    static final String ANY_FOLDER_PROPERTY = "training.models.any-folder";

    static final String REFUSED = "is not a model available to you: name a hub model id (org/name), a model of "
            + "this service's model roots by its name, or one of your fine-tuned models by its checkpoint id or ft: "
            + "name";

    private static final Pattern HUB_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,95}(/[A-Za-z0-9][A-Za-z0-9._-]"
            + "{0,95})?");
    /** How deep in a model root its model folders are looked for: {@code NAME} or {@code ORG/NAME}, as specs have. */
    private static final int ROOT_DEPTH = 2;
    private static final Pattern CHECKPOINT_STEP = Pattern.compile("ckpt-step-(\\d{1,12})");

    private final List<Path> roots;
    private final boolean anyFolder;
    private final Path models;
    private final Path hub;
    private final CheckpointRegistry registry;
    private final Function<String, Optional<Job>> jobs;

    /**
     * @param roots the operator's model roots
     * @param anyFolder whether the unscoped facade accepts any folder
     * @param home the service's home; copies of checkpoints go to its {@code models/}
     * @param hub the Hugging Face hub cache the runners load hub ids from
     * @param registry the checkpoints
     * @param jobs finds a job by id
     */
    ModelPolicy(List<Path> roots, boolean anyFolder, Path home, Path hub, CheckpointRegistry registry,
            Function<String, Optional<Job>> jobs) {
        this.roots = List.copyOf(roots);
        this.hub = hub;
        this.anyFolder = anyFolder;
        this.models = home.resolve("models");
        this.registry = registry;
        this.jobs = jobs;
    }

    /** @return the policy the properties describe */
    static ModelPolicy of(Map<String, String> properties, Path home, CheckpointRegistry registry,
            Function<String, Optional<Job>> jobs) {
        List<Path> roots = new ArrayList<>();
        String listed = properties.getOrDefault(ROOTS_PROPERTY, "");
        for (String r : listed.split(",")) {
            if (r.isBlank()) {
                continue;
            }
            Path p = Path.of(r.strip());
            if (!p.isAbsolute()) {
                throw new IllegalArgumentException("property " + ROOTS_PROPERTY + " must list absolute folders, got \""
                        + r.strip() + "\"");
            }
            roots.add(p.normalize());
        }
        String any = properties.getOrDefault(ANY_FOLDER_PROPERTY, "true").strip();
        if (!any.equals("true") && !any.equals("false")) {
            throw new IllegalArgumentException("property " + ANY_FOLDER_PROPERTY + " must be true or false, got \""
                    + any + "\"");
        }
        return new ModelPolicy(roots, any.equals("true"), home, HuggingFaceCache.hub(), registry, jobs);
    }

    /**
     * @param spec a spec; its tenant owns the checkpoints it may start from
     * @param scoped whether a tenant asks (folders only under the roots) rather than an operator
     * @return the spec with its base model made a folder or hub id a runner loads
     * @throws InvalidSpecException with {@link #REFUSED} when the model is not one the caller may use
     */
    JobSpec resolve(JobSpec spec, boolean scoped) {
        String model = spec.baseModel();
        String resolved = resolveModel(spec.tenant(), model, scoped);
        return resolved.equals(model) ? spec : spec.toBuilder().baseModel(resolved).build();
    }

    private String resolveModel(String tenant, String model, boolean scoped) {
        if (model.indexOf('\0') >= 0) {
            throw refused();
        }
        Optional<Checkpoint> checkpoint = checkpointNamed(tenant, model);
        if (checkpoint.isPresent()) {
            return copyOf(checkpoint.get()).toString();
        }
        if (model.startsWith("ckpt-") || model.startsWith("ft:")) {
            throw refused();
        }
        boolean path = model.startsWith("/") || model.startsWith("./") || model.startsWith("../")
                || model.startsWith("~/");
        if (path) {
            if (!scoped && anyFolder) {
                return model;
            }
            return underRoot(Path.of(model.startsWith("~/") ? System.getProperty("user.home") + model.substring(1)
                    : model).toAbsolutePath()).orElseThrow(ModelPolicy::refused).toString();
        }
        Optional<Path> named = byRootName(model);
        if (named.isPresent()) {
            return named.get().toString();
        }
        if (!HUB_ID.matcher(model).matches() || model.contains("..") || (scoped && !inHubCache(model))) {
            throw refused();
        }
        return model;
    }

    /**
     * What a tenant may name, each by the name {@link #resolve} takes: every model listed here is one a job of the
     * tenant can start from. Absolute folders and the checkpoints' own ids and step names are not listed.
     *
     * @param tenant the tenant whose fine-tuned models are listed
     * @return sorted by name; a name two sources share is listed once, as {@link #resolve} reads it
     */
    List<AvailableModel> available(String tenant) {
        Map<String, AvailableModel> found = new TreeMap<>();
        for (Checkpoint c : outputs(tenant)) {
            Optional<String> name = jobs.apply(c.jobId()).map(j -> FineTunedNames.of(j, this, null));
            // newest first: a job resumed after its output keeps the name for its newest output
            name.ifPresent(n -> found.putIfAbsent(n, new AvailableModel(n, AvailableModel.Source.FINE_TUNED,
                    c.createdAt())));
        }
        for (Path root : roots) {
            for (String name : modelFolders(root)) {
                if (!found.containsKey(name) && byName(name)) {
                    byRootName(name).ifPresent(p -> found.put(name, new AvailableModel(name,
                            AvailableModel.Source.MODEL_ROOT, changed(p))));
                }
            }
        }
        try (var repos = Files.list(hub)) {
            for (Path repo : repos.sorted().toList()) {
                Optional<String> named = HuggingFaceCache.id(repo.getFileName().toString());
                if (named.isEmpty()) {
                    continue;
                }
                String id = named.get();
                // a name a root holds is read as the root's folder, not the hub id
                if (!found.containsKey(id) && byName(id) && byRootName(id).isEmpty() && inHubCache(id)) {
                    found.put(id, new AvailableModel(id, AvailableModel.Source.HUB_CACHE, changed(repo)));
                }
            }
        } catch (IOException | InvalidPathException e) {
            // no cache on this machine: no hub ids
        }
        return List.copyOf(found.values());
    }

    /** @return whether {@link #resolve} reads the name as a root's folder or a hub id, not as a checkpoint's id */
    private static boolean byName(String name) {
        return HUB_ID.matcher(name).matches() && !name.startsWith("ckpt-") && !name.contains("..");
    }

    private List<Checkpoint> outputs(String tenant) {
        List<Checkpoint> out = new ArrayList<>();
        String after = null;
        do {
            Page<Checkpoint> page = registry.list(CheckpointQuery.builder().tenant(tenant)
                    .after(after).limit(JobQuery.MAX_LIMIT).build());
            page.items().stream().filter(Checkpoint::last).forEach(out::add);
            after = page.nextCursor();
        } while (after != null);
        return out;
    }

    /**
     * @param root a model root
     * @return the relative names of the model folders in it, {@value #ROOT_DEPTH} folders deep at most, not looking
     *     inside a model folder or a hidden one
     */
    private static List<String> modelFolders(Path root) {
        List<String> names = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return names;
        }
        try {
            Files.walkFileTree(root, EnumSet.noneOf(FileVisitOption.class), ROOT_DEPTH, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    if (dir.equals(root)) {
                        return FileVisitResult.CONTINUE;
                    }
                    if (dir.getFileName().toString().startsWith(".")) {
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    if (isModelFolder(dir)) {
                        names.add(root.relativize(dir).toString().replace('\\', '/'));
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    // a folder at the depth limit, or a link to one (resolve follows links, then checks them)
                    if (Files.isDirectory(file) && isModelFolder(file)) {
                        names.add(root.relativize(file).toString().replace('\\', '/'));
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            // an unreadable root lists nothing
        }
        return names;
    }

    private static Instant changed(Path p) {
        try {
            Path config = p.resolve("config.json");
            return Files.getLastModifiedTime(Files.isRegularFile(config) ? config : p).toInstant();
        } catch (IOException e) {
            return Instant.EPOCH;
        }
    }

    /** @return the real folder, when it is a model folder inside a root (symlinks followed, then checked) */
    private Optional<Path> underRoot(Path candidate) {
        try {
            if (!Files.isDirectory(candidate)) {
                return Optional.empty();
            }
            Path real = candidate.toRealPath();
            for (Path root : roots) {
                if (!Files.isDirectory(root)) {
                    continue;
                }
                Path realRoot = root.toRealPath();
                if (real.startsWith(realRoot) && !real.equals(realRoot) && isModelFolder(real)) {
                    return Optional.of(real);
                }
            }
        } catch (IOException | InvalidPathException | SecurityException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    private Optional<Path> byRootName(String name) {
        if (name.contains("..") || name.startsWith("/") || name.contains("\\")) {
            return Optional.empty();
        }
        for (Path root : roots) {
            try {
                Optional<Path> p = underRoot(root.resolve(name).normalize());
                if (p.isPresent()) {
                    return p;
                }
            } catch (InvalidPathException e) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    /** @return whether the hub id has a snapshot in this machine's Hugging Face cache (a tenant's hub ids must) */
    private boolean inHubCache(String id) {
        Path snapshots = HuggingFaceCache.repo(hub, id).resolve("snapshots");
        try (var s = Files.list(snapshots)) {
            return s.anyMatch(p -> isModelFolder(p));
        } catch (IOException | InvalidPathException e) {
            return false;
        }
    }

    private static boolean isModelFolder(Path dir) {
        return Files.isRegularFile(dir.resolve("config.json")) || Files.isRegularFile(dir.resolve(
                "adapter_config.json"));
    }

    /**
     * @param tenant the owner
     * @param model a checkpoint id or {@code ft:} name
     * @return the tenant's checkpoint it names, if any
     */
    Optional<Checkpoint> checkpointNamed(String tenant, String model) {
        if (model.startsWith("ckpt-")) {
            try {
                Checkpoint c = registry.get(model);
                return c.tenant().equals(tenant) ? Optional.of(c) : Optional.empty();
            } catch (CheckpointNotFoundException e) {
                return Optional.empty();
            }
        }
        if (!model.startsWith("ft:")) {
            return Optional.empty();
        }
        String[] parts = model.split(":", -1);
        if (parts.length < 5) {
            return Optional.empty();
        }
        String last = parts[parts.length - 1];
        Matcher step = CHECKPOINT_STEP.matcher(last);
        String jobId = step.matches() ? parts[parts.length - 2] : last;
        if (!jobId.startsWith("ftjob-")) {
            return Optional.empty();
        }
        Optional<Job> job = jobs.apply(jobId).filter(j -> j.spec().tenant().equals(tenant));
        if (job.isEmpty() || !model.equals(step.matches() ? FineTunedNames.of(job.get(), this, Long.parseLong(
                step.group(1))) : FineTunedNames.of(job.get(), this, null))) {
            return Optional.empty();
        }
        List<Checkpoint> found = registry.list(CheckpointQuery.builder().tenant(tenant).jobId(jobId).limit(1000)
                .build()).items();
        // A step's name: the intermediate checkpoint of that step, else the output if it was written at that step.
        return found.stream().filter(c -> step.matches() ? c.step() == Long.parseLong(step.group(1)) : c.last())
                .min(java.util.Comparator.comparing(Checkpoint::last));
    }

    /** @return a verified copy of the checkpoint's files, made once per checkpoint */
    private Path copyOf(Checkpoint c) {
        Path dir = models.resolve(c.id());
        synchronized (ModelPolicy.class) {
            if (Files.isDirectory(dir)) {
                return dir;
            }
            Path partial = models.resolve("." + c.id() + ".partial");
            try {
                Files.createDirectories(models);
                Folders.deleteTree(partial);
                registry.download(c.id(), partial, n -> { });
                Files.move(partial, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                throw new StorageException("Cannot copy checkpoint " + c.id() + " to start a job from it: "
                        + e.getMessage(), true, e);
            }
        }
        return dir;
    }

    /**
     * What a tenant is told a model is: a hub id as it is, a folder of a root by its name relative to the root,
     * a copy of a checkpoint by that checkpoint's own base, and any other folder by its last name only.
     *
     * @param baseModel a stored spec's base model
     * @return the name to show
     */
    String publicName(String baseModel) {
        if (!baseModel.startsWith("/")) {
            return baseModel;
        }
        Path p = Path.of(baseModel).normalize();
        if (isCheckpointCopy(p)) {
            return checkpointOf(baseModel).map(c -> publicName(c.baseModel())).orElse(p.getFileName().toString());
        }
        for (Path root : roots) {
            if (p.startsWith(root) && !p.equals(root)) {
                return root.relativize(p).toString();
            }
            try {
                Path realRoot = Files.isDirectory(root) ? root.toRealPath() : root;
                if (p.startsWith(realRoot) && !p.equals(realRoot)) {
                    return realRoot.relativize(p).toString();
                }
            } catch (IOException e) {
                // an unreadable root names nothing
            }
        }
        return p.getFileName() == null ? "model" : p.getFileName().toString();
    }

    /**
     * @param baseModel a stored spec's base model
     * @return the registered checkpoint it is the verified copy of, when it is one
     */
    Optional<Checkpoint> checkpointOf(String baseModel) {
        if (!baseModel.startsWith("/") || !isCheckpointCopy(Path.of(baseModel).normalize())) {
            return Optional.empty();
        }
        try {
            return Optional.of(registry.get(Path.of(baseModel).getFileName().toString()));
        } catch (CheckpointNotFoundException e) {
            return Optional.empty();
        }
    }

    private boolean isCheckpointCopy(Path p) {
        return p.startsWith(models) && p.getNameCount() == models.getNameCount() + 1;
    }

    private static InvalidSpecException refused() {
        return new InvalidSpecException("The base model is not available", List.of(new Violation("/base_model",
                REFUSED)));
    }
}
