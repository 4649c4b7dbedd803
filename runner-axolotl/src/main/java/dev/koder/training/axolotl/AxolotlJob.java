package dev.koder.training.axolotl;

import dev.koder.training.api.JobSpec;
import dev.koder.training.api.Objective;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.dataformat.yaml.YAMLMapper;
import tools.jackson.dataformat.yaml.YAMLWriteFeature;

/**
 * Writes what axolotl reads for a job into one folder: {@code config.yml} and the converted data under
 * {@code data/}. The config is checked ({@link AxolotlSchema}) before it is written, and written beside its
 * final name, then moved, so a folder never holds a half-written config.
 */
public final class AxolotlJob {

    /** The config's file name in the folder. */
    public static final String CONFIG = "config.yml";

    private static final YAMLMapper YAML = YAMLMapper.builder().disable(YAMLWriteFeature.WRITE_DOC_START_MARKER)
            .enable(YAMLWriteFeature.MINIMIZE_QUOTES).build();

    private AxolotlJob() {
    }

    /** How paths appear in the config. */
    public enum Paths {
        /** Absolute: a job's own folder. */
        ABSOLUTE,
        /** Relative to the folder, so it can be copied elsewhere and run from there. */
        RELATIVE
    }

    /**
     * @param spec the job (dataset paths absolute or relative to the working directory)
     * @param dir the folder to write into
     * @param outputDir where axolotl writes checkpoints and the final model
     * @param resumeFrom a checkpoint to resume from, or null
     * @param cuda whether the job trains on a GPU
     * @param bf16 whether the GPU does bf16
     * @param paths how paths appear in the config
     * @return the config written, as a map
     * @throws IOException when a file cannot be read or written
     * @throws IllegalStateException listing what axolotl 0.18 would not take as meant (a bug here, not the user's)
     */
    public static Map<String, Object> write(JobSpec spec, Path dir, Path outputDir, Path resumeFrom, boolean cuda,
            boolean bf16, Paths paths) throws IOException {
        Files.createDirectories(dir);
        boolean dpo = spec.method().objective() == Objective.DPO;
        Path train = dir.resolve("data/train.jsonl");
        List<Map<String, Object>> datasets = new ArrayList<>(List.of(AxolotlData.convert(spec.trainingData(), train,
                name(dir, train, paths), dpo)));
        List<Map<String, Object>> tests = new ArrayList<>();
        if (spec.validationData().isPresent()) {
            Path eval = dir.resolve("data/validation.jsonl");
            tests.add(AxolotlData.convert(spec.validationData().get(), eval, name(dir, eval, paths), dpo));
        }
        AxolotlConfig.Layout layout = new AxolotlConfig.Layout(datasets, tests, name(dir, outputDir, paths),
                name(dir, dir.resolve("prepared"), paths), resumeFrom == null ? null : name(dir, resumeFrom, paths));
        Map<String, Object> config = AxolotlConfig.of(spec, layout, new AxolotlConfig.Device(cuda, bf16));
        List<String> problems = AxolotlSchema.problems(config);
        if (!problems.isEmpty()) {
            throw new IllegalStateException("the axolotl config made for this job would not be read as meant by "
                    + "axolotl " + AxolotlSchema.VERSION + ": " + String.join("; ", problems));
        }
        Path target = dir.resolve(CONFIG);
        Path partial = dir.resolve(CONFIG + ".partial");
        Files.writeString(partial, "# Written by the Training SDK for axolotl " + AxolotlSchema.VERSION
                + "; checked against its config schema.\n" + YAML.writeValueAsString(config), StandardCharsets.UTF_8);
        Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return config;
    }

    private static String name(Path dir, Path file, Paths paths) {
        Path abs = file.toAbsolutePath().normalize();
        if (paths == Paths.ABSOLUTE) {
            return abs.toString();
        }
        return "./" + dir.toAbsolutePath().normalize().relativize(abs).toString().replace('\\', '/');
    }

    /**
     * Copies the plugin and the events module beside an exported config, so that {@code PYTHONPATH=.} makes
     * the config's {@code plugins:} importable where it is run.
     *
     * @param dir the export folder
     * @throws IOException when they cannot be copied
     */
    public static void copyPlugin(Path dir) throws IOException {
        copy(AxolotlRunner.class, AxolotlRunner.PLUGIN_SCRIPT, dir);
        copy(dev.koder.training.python.PythonTrainer.class, dev.koder.training.python.PythonTrainer.EVENTS_MODULE, dir);
        copy(dev.koder.training.api.FailureCause.class, dev.koder.training.python.PythonTrainer.CAUSE_TABLE, dir);
    }

    private static void copy(Class<?> anchor, String resource, Path dir) throws IOException {
        try (InputStream in = anchor.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("missing resource " + resource);
            }
            Files.copy(in, dir.resolve(resource), StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
