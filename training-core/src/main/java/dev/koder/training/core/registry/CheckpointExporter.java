package dev.koder.training.core.registry;

import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.CheckpointExport;
import dev.koder.training.api.CheckpointFormat;
import dev.koder.training.api.PluginNotFoundException;
import dev.koder.training.api.StorageException;
import dev.koder.training.core.blob.Digests;
import dev.koder.training.core.internal.Folders;
import dev.koder.training.spi.AdapterMerger;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes a checkpoint out for serving: its adapter files, or the base model with the adapter merged in, then a model
 * card and a manifest of every file's SHA-256. The folder appears whole (a hidden sibling is renamed into place) and
 * its bytes depend only on the checkpoint, so an export repeats byte for byte. Its files and folders get the
 * permissions of any new one here, whoever wrote them.
 */
final class CheckpointExporter {

    private static final Logger LOG = LoggerFactory.getLogger(CheckpointExporter.class);
    /** The manifest's version, so readers can tell what they parse. */
    static final String FORMAT = "training-export/1";
    /**
     * Trainer state a checkpoint keeps for resuming, not for serving: pickles and optimizer moments a serving
     * runtime must not be handed.
     */
    private static final List<String> RESUME_STATE = List.of("optimizer.pt", "scheduler.pt", "scaler.pt",
            "trainer_state.json", "training_args.bin");
    private static final JsonMapper SORTED = JsonMapper.builder()
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    private final CheckpointRegistry registry;
    private final Supplier<Optional<AdapterMerger>> merger;

    /**
     * @param registry the checkpoints and their blobs
     * @param merger finds a merger when an export asks for merged weights
     */
    CheckpointExporter(CheckpointRegistry registry, Supplier<Optional<AdapterMerger>> merger) {
        this.registry = registry;
        this.merger = merger;
    }

    CheckpointExport export(String id, Path dir, boolean merge, LongConsumer progress) {
        Checkpoint c = registry.get(id);
        Path target = dir.toAbsolutePath().normalize();
        requireEmpty(target);
        boolean merging = merge && c.format() == CheckpointFormat.PEFT_ADAPTER;
        AdapterMerger tool = null;
        if (merging) {
            tool = merger.get().orElseThrow(() -> new PluginNotFoundException("Merging checkpoint " + id
                    + " into its base model needs a runner that merges adapters, and none is installed; add "
                    + "dev.koder.training:runner-trl, or export the adapter without merging."));
            BaseModels.requireSame(c, "merge into it (or export the adapter without merging)");
        }
        Path parent = target.getParent();
        Path staging;
        try {
            Files.createDirectories(parent);
            // an export of this target killed mid-way left its staging folder
            Folders.deleteStale(parent, "." + target.getFileName() + ".export-", CheckpointRegistry.STALE_SCRATCH);
            staging = Files.createTempDirectory(parent, "." + target.getFileName() + ".export-");
        } catch (IOException e) {
            throw new StorageException("Cannot create the export folder beside " + target + ": " + e.getMessage(),
                    false, e);
        }
        try {
            Path files = staging.resolve("files");
            List<String> omitted = new ArrayList<>();
            CheckpointExport.MergeCheck check = null;
            if (merging) {
                Path adapter = staging.resolve("adapter");
                registry.copyFiles(c, adapter, progress);
                AdapterMerger.Merged m = tool.merge(c.baseModel(), adapter, files, staging.resolve("work"),
                        line -> LOG.info("export {}: {}", id, line));
                check = new CheckpointExport.MergeCheck(m.base(), m.dtype(), m.maxAbsDiff(), m.tolerance(),
                        m.probeTokens());
            } else {
                registry.copyFiles(c, files, progress);
                for (Checkpoint.File f : c.files()) {
                    if (resumeState(f.path())) {
                        Files.delete(files.resolve(f.path()));
                        omitted.add(f.path());
                    }
                }
                // the trainer's own card (PEFT writes a template) gives way to the export's
                Files.deleteIfExists(files.resolve(CheckpointExport.CARD));
            }
            Files.writeString(files.resolve(CheckpointExport.CARD), ModelCard.write(c, registry.ancestry(id),
                    registry.history(id), merging, check, omitted), StandardCharsets.UTF_8);
            plainPermissions(files, staging);
            List<Checkpoint.File> listed = list(files);
            Map<String, Object> manifest = new LinkedHashMap<>();
            manifest.put("format", FORMAT);
            manifest.put("checkpoint", c);
            manifest.put("merged", merging);
            if (check != null) {
                manifest.put("merge", check);
            }
            manifest.put("omitted", omitted);
            manifest.put("files", listed);
            Path manifestFile = files.resolve(CheckpointExport.MANIFEST);
            Files.writeString(manifestFile, SORTED.writeValueAsString(manifest) + "\n", StandardCharsets.UTF_8);
            String manifestSha = Digests.sha256(manifestFile);
            deleteIfEmpty(target);
            Files.move(files, target, StandardCopyOption.ATOMIC_MOVE);
            LOG.info("exported checkpoint {} to {} ({}; {} files, manifest sha256 {})", id, target,
                    merging ? "merged into " + check.base() : c.format().wireName(), listed.size(), manifestSha);
            CheckpointExport done = new CheckpointExport(id, target.toString(), merging, listed, manifestSha, check,
                    registry.now());
            try {
                registry.rows().addExport(done);
            } catch (RuntimeException e) {
                // the folder is whole and in place: the export stands even if its record could not be kept
                LOG.warn("exported checkpoint {} to {}, but cannot record the export: {}", id, target, e.getMessage());
            }
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("dir", done.dir());
            details.put("merged", merging);
            details.put("manifest_sha256", manifestSha);
            details.put("files", listed.size());
            details.put("bytes", done.size());
            registry.tell(id + "/exported/" + Digests.hex(Digests.sha256().digest((target + "\n" + manifestSha)
                    .getBytes(StandardCharsets.UTF_8))).substring(0, 16), dev.koder.training.spi.RegistryEvent.EXPORTED,
                    c, null, details);
            return done;
        } catch (IOException e) {
            throw new StorageException("Export of checkpoint " + id + " to " + target + " failed: " + e.getMessage(),
                    false, e);
        } finally {
            deleteTree(staging);
        }
    }

    /**
     * Gives every file and folder of an export the permissions a new one gets here (those the umask leaves), as
     * serving often runs as another user: the merger's libraries may write weights their owner alone can read
     * (safetensors 0.8 writes its files 0600).
     *
     * @param root the export's files
     * @param scratch a folder to make the two probes in
     */
    private static void plainPermissions(Path root, Path scratch) throws IOException {
        if (!root.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return;
        }
        Set<PosixFilePermission> file = Files.getPosixFilePermissions(Files.createFile(
                scratch.resolve("new-file")));
        Set<PosixFilePermission> folder = Files.getPosixFilePermissions(Files.createDirectory(
                scratch.resolve("new-folder")));
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.toList()) {
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    Files.setPosixFilePermissions(p, folder);
                } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    Files.setPosixFilePermissions(p, file);
                }
            }
        }
    }

    private static boolean resumeState(String path) {
        String name = path.substring(path.lastIndexOf('/') + 1);
        return RESUME_STATE.contains(name) || (name.startsWith("rng_state") && name.endsWith(".pth"));
    }

    private static void requireEmpty(Path target) {
        if (!Files.exists(target)) {
            return;
        }
        if (!Files.isDirectory(target)) {
            throw new IllegalArgumentException("The export folder " + target + " is a file; name a new folder.");
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(target)) {
            if (entries.iterator().hasNext()) {
                throw new IllegalArgumentException("The export folder " + target + " is not empty; name a new or "
                        + "empty folder, so an export never mixes with other files.");
            }
        } catch (IOException e) {
            throw new StorageException("Cannot read the export folder " + target + ": " + e.getMessage(), false, e);
        }
    }

    private static List<Checkpoint.File> list(Path root) throws IOException {
        List<Checkpoint.File> out = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.filter(Files::isRegularFile).sorted(Comparator.comparing(q -> root.relativize(q)
                    .toString().replace('\\', '/'))).toList()) {
                String rel = root.relativize(p).toString().replace('\\', '/');
                if (!rel.equals(CheckpointExport.MANIFEST)) {
                    out.add(new Checkpoint.File(rel, Files.size(p), Digests.sha256(p)));
                }
            }
        }
        return out;
    }

    private static void deleteIfEmpty(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            Files.delete(dir);
        }
    }

    private static void deleteTree(Path dir) {
        try {
            Folders.deleteTree(dir);
        } catch (IOException e) {
            LOG.warn("cannot delete the export's scratch folder {}: {}", dir, e.getMessage());
        }
    }
}
