package dev.koder.training.tck;

import dev.koder.training.api.AdapterType;
import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.Objective;
import dev.koder.training.api.Violation;
import dev.koder.training.spi.LaunchPlan;
import dev.koder.training.spi.MethodKind;
import dev.koder.training.spi.PluginConfig;
import dev.koder.training.spi.RunContext;
import dev.koder.training.spi.RunnerCapabilities;
import dev.koder.training.spi.TrainingRunner;
import dev.koder.training.spi.TrainingRunnerProvider;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A runner for tests of hosts, executors and tools: it launches {@code scripted_trainer.py}, a real Python
 * process that speaks the events protocol (started, progress, eval, checkpoint, completed, error), honours
 * SIGTERM by saving a checkpoint, and resumes from one, without training anything. What it does comes from
 * the spec's metadata keys starting with {@code fake.}: {@code fake.step_seconds}, {@code fake.fail_at_step},
 * {@code fake.error_kind}, {@code fake.exit_code}, {@code fake.ignore_sigterm}, {@code fake.spawn_child},
 * {@code fake.eval}, {@code fake.refuse}, {@code fake.record_env} (writes CUDA_VISIBLE_DEVICES to
 * cuda-visible-devices.txt and TRAINING_CPU_THREADS to cpu-threads.txt in the job folder), {@code fake.artifacts} ({@code false}: checkpoints and the output
 * hold no adapter; by default each holds a small real PEFT LoRA adapter, adapter_config.json and a safetensors
 * file that differs per step), {@code fake.adapter_kib} (makes the adapter that much larger), {@code fake.linger_seconds} (stays that long after
 * reporting completed, leaving on SIGTERM with 143). Steps default to
 * the spec's max_steps (10 when unset). Needs {@code python3} on the PATH.
 */
public final class ScriptedRunner implements TrainingRunner {

    private static Path script;

    private final String name;
    private final Set<MethodKind> methods;
    private final dev.koder.training.spi.CheckpointEvaluator evaluator;

    /** A runner named {@code script} that accepts every method. */
    public ScriptedRunner() {
        this("script", allMethods());
    }

    /**
     * @param name the runner's name
     * @param methods the methods it claims to train
     */
    public ScriptedRunner(String name, Set<MethodKind> methods) {
        this(name, methods, null);
    }

    private ScriptedRunner(String name, Set<MethodKind> methods, dev.koder.training.spi.CheckpointEvaluator evaluator) {
        this.name = name;
        this.methods = Set.copyOf(methods);
        this.evaluator = evaluator;
    }

    /**
     * @param evaluator what scores this runner's checkpoints on demand (its scripted checkpoints hold no real
     *     weights, so a test of the layers above the registry passes one of its own)
     * @return a runner like this one that offers the evaluator
     */
    public ScriptedRunner evaluatedBy(dev.koder.training.spi.CheckpointEvaluator evaluator) {
        return new ScriptedRunner(name, methods, evaluator);
    }

    @Override
    public java.util.Optional<dev.koder.training.spi.CheckpointEvaluator> evaluator() {
        return java.util.Optional.ofNullable(evaluator);
    }

    /** @return every objective x adapter pair a spec can name (encoders have no QLoRA) */
    public static Set<MethodKind> allMethods() {
        Set<MethodKind> all = new HashSet<>();
        for (Objective o : Objective.values()) {
            for (AdapterType a : AdapterType.values()) {
                if (o.languageModel() || a != AdapterType.QLORA) {
                    all.add(new MethodKind(o, a));
                }
            }
        }
        return all;
    }

    /** @return the trainer script, copied out of the jar once per JVM */
    public static synchronized Path script() {
        if (script == null) {
            try (InputStream in = ScriptedRunner.class.getResourceAsStream("scripted_trainer.py")) {
                Path file = ScratchDir.create("scripted-trainer").resolve("scripted_trainer.py");
                Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
                script = file;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return script;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public RunnerCapabilities capabilities() {
        return new RunnerCapabilities(methods, EnumSet.allOf(DatasetFormat.class), true, true);
    }

    @Override
    public List<Violation> check(JobSpec spec) {
        List<Violation> v = new ArrayList<>();
        if ("true".equals(spec.metadata().get("fake.refuse"))) {
            v.add(new Violation("/metadata/fake.refuse", "runner '" + name + "' refuses this spec on request"));
        }
        return v;
    }

    @Override
    public LaunchPlan prepare(JobSpec spec, RunContext ctx) throws IOException {
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("workdir", ctx.workdir().toString());
        args.put("events_file", ctx.eventsFile().toString());
        args.put("output_dir", ctx.outputDir().toString());
        Integer steps = spec.hyperparameters().maxSteps();
        args.put("total_steps", steps == null ? 10 : steps);
        args.put("checkpoint_every", spec.checkpoints().everySteps());
        args.put("micro_batch_size", spec.hyperparameters().microBatchSize());
        args.put("resume_from", ctx.resumeFrom().map(Path::toString).orElse(null));
        Map<String, Object> behaviour = new LinkedHashMap<>();
        spec.metadata().forEach((k, val) -> {
            if (k.startsWith("fake.")) {
                behaviour.put(k.substring(5), val);
            }
        });
        args.put("behaviour", behaviour);
        Path argsFile = ctx.workdir().resolve("args-" + ctx.attempt() + ".json");
        Files.writeString(argsFile, MiniJson.write(args));
        return new LaunchPlan(List.of("python3", "-u", script().toString(), argsFile.toString()),
                Map.of("PYTHONUNBUFFERED", "1"), ctx.workdir(), ctx.stdout(), ctx.stderr());
    }

    /** Finds {@link ScriptedRunner} through ServiceLoader, for tests that exercise discovery. */
    public static final class Provider implements TrainingRunnerProvider {
        @Override
        public String name() {
            return "script";
        }

        @Override
        public TrainingRunner create(PluginConfig config) {
            return new ScriptedRunner();
        }
    }
}
