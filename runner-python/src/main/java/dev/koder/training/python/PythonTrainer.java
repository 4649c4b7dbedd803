package dev.koder.training.python;

import dev.koder.training.api.AdapterType;
import dev.koder.training.api.FailureCause;
import dev.koder.training.api.JobFailure;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.TrainerFailedException;
import dev.koder.training.api.Violation;
import dev.koder.training.spi.ExitStatus;
import dev.koder.training.spi.LaunchPlan;
import dev.koder.training.spi.PluginConfig;
import dev.koder.training.spi.RunContext;
import dev.koder.training.spi.RunnerChoice;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * What a Python-based runner delegates to: finding or creating its interpreter, checking it can run a job
 * (preflight), staging the trainer's scripts with the shared events module, writing the job's parameters as
 * a JSON file, building the launch command, and classifying failures.
 *
 * <p>Configuration properties: {@code training.python.<runner>} or, for every runner, {@value #PYTHON_PROPERTY}
 * names an existing interpreter (GPU hosts bring their own CUDA build of torch; axolotl and unsloth live in
 * environments of their own; then only the preflight runs); otherwise a managed virtualenv is made from the
 * runner's pinned requirements with {@value #BASE_PROPERTY} (default {@code python3}) in
 * {@value #CACHE_PROPERTY} (default {@code ~/.cache/koder-training/python}); {@value #PIP_ARGS_PROPERTY}
 * adds pip arguments, separated by spaces. {@value DistributedLaunch#CPU_PROCESSES_PROPERTY} runs CPU jobs in that many
 * processes (see {@link DistributedLaunch}).
 */
public final class PythonTrainer {

    /** An existing interpreter to use instead of a managed environment. */
    public static final String PYTHON_PROPERTY = "training.python";
    /** The interpreter that creates managed environments. */
    public static final String BASE_PROPERTY = "training.python.base";
    /** Where managed environments live. */
    public static final String CACHE_PROPERTY = "training.python.cache";
    /** Extra pip install arguments. */
    public static final String PIP_ARGS_PROPERTY = "training.python.pip-args";
    /** The events module every trainer imports. */
    public static final String EVENTS_MODULE = "training_events.py";
    /** The failure cause table (training-api), which the events module reads beside itself. */
    public static final String CAUSE_TABLE = "failure-causes.json";
    /** The data module trainers built on Hugging Face trainers import (reading, encoding, trainer arguments). */
    public static final String DATA_MODULE = "training_data.py";
    /** Micro-steps sized in tokens (a Trainer subclass), for trainers built on Hugging Face trainers. */
    public static final String BATCHING_MODULE = "token_batching.py";
    /** A step's cost besides the model's work, cut to what the SDK reports (a TRL SFTTrainer subclass). */
    public static final String STEP_COST_MODULE = "step_cost.py";

    /** Merges an adapter into its base for an export, and checks the merged model against the adapter's. */
    public static final String MERGE_MODULE = "merge.py";
    /** Scores a checkpoint and its base on held-out data. */
    public static final String EVAL_MODULE = "checkpoint_eval.py";

    private final String runner;
    private final Requirements requirements;
    private final PluginConfig config;
    private final List<Script> scripts;
    private volatile PythonEnvironment environment;

    /**
     * A script a trainer needs, shipped as a resource.
     *
     * @param anchor the class whose loader finds it
     * @param resource resource name relative to the anchor's package
     */
    public record Script(Class<?> anchor, String resource) {
    }

    /**
     * @param runner the runner's name, for messages
     * @param requirements the pinned packages of its managed environment
     * @param config the plugin configuration (properties above)
     * @param scripts the trainer's scripts; the events module is added
     */
    public PythonTrainer(String runner, Requirements requirements, PluginConfig config, List<Script> scripts) {
        this.runner = runner;
        this.requirements = requirements;
        this.config = config;
        List<Script> all = new ArrayList<>(scripts);
        all.add(new Script(PythonTrainer.class, EVENTS_MODULE));
        all.add(new Script(dev.koder.training.api.FailureCause.class, CAUSE_TABLE));
        all.add(new Script(PythonTrainer.class, DATA_MODULE));
        all.add(new Script(PythonTrainer.class, BATCHING_MODULE));
        all.add(new Script(PythonTrainer.class, STEP_COST_MODULE));
        all.add(new Script(PythonTrainer.class, MERGE_MODULE));
        all.add(new Script(PythonTrainer.class, EVAL_MODULE));
        this.scripts = List.copyOf(all);
    }

    /** @return the pinned packages */
    public Requirements requirements() {
        return requirements;
    }

    /** @return true when no interpreter is configured, so a managed environment is used */
    public boolean managed() {
        return configuredPython().isEmpty();
    }

    /**
     * @return the interpreter named for this runner ({@code training.python.<runner>}), else for every runner
     *     ({@value #PYTHON_PROPERTY}), if any
     */
    public Optional<String> configuredPython() {
        return config.get(PYTHON_PROPERTY + "." + runner).or(() -> config.get(PYTHON_PROPERTY))
                .map(String::strip).filter(s -> !s.isEmpty());
    }

    /** @return how many processes a CPU job trains with ({@value DistributedLaunch#CPU_PROCESSES_PROPERTY}) */
    public int cpuProcesses() {
        String value = config.get(DistributedLaunch.CPU_PROCESSES_PROPERTY).map(String::strip).orElse("1");
        try {
            int n = Integer.parseInt(value);
            if (n >= 1 && n <= 64) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(DistributedLaunch.CPU_PROCESSES_PROPERTY + " must be a whole number from 1 "
                + "to 64, got '" + value + "'");
    }

    /** @return the property that names this runner's interpreter, for messages */
    public String pythonProperty() {
        return PYTHON_PROPERTY + "." + runner;
    }

    /** @return where managed environments live */
    public Path cacheRoot() {
        return ManagedEnvironments.cacheRoot(config.get(CACHE_PROPERTY).orElse(null));
    }

    /**
     * The interpreter: the configured one, or the managed environment (made now if needed, with progress).
     *
     * @param progress one-line notes while an environment is being made
     * @return the environment
     * @throws TrainerFailedException when it cannot be had
     */
    public PythonEnvironment environment(Consumer<String> progress) {
        PythonEnvironment env = environment;
        if (env != null) {
            return env;
        }
        synchronized (this) {
            if (environment == null) {
                if (managed()) {
                    environment = ManagedEnvironments.ensure(cacheRoot(), requirements,
                            config.get(BASE_PROPERTY).orElse("python3"), pipArgs(), progress);
                } else {
                    environment = PythonEnvironment.external(Path.of(configuredPython().orElseThrow()));
                }
            }
            return environment;
        }
    }

    /** @return the home's extra pip arguments ({@value #PIP_ARGS_PROPERTY}), word by word */
    private List<String> pipArgs() {
        return config.get(PIP_ARGS_PROPERTY).map(s -> Arrays.asList(s.trim().split("\\s+"))).orElse(List.of())
                .stream().filter(s -> !s.isEmpty()).collect(Collectors.toList());
    }

    /** pip's answers to "could these be installed?", by what was asked, for 10 minutes. */
    private static final Map<List<String>, Map.Entry<Long, Optional<String>>> INSTALLABLE = new ConcurrentHashMap<>();

    /**
     * Asks pip, without installing anything ({@code pip install --dry-run --no-deps}, with the home's
     * {@value #PIP_ARGS_PROPERTY}), whether the managed environment could get these packages: the preflight that
     * refuses a job at submit rather than when its trainer starts. pip without {@code --dry-run} (before 22.2) cannot
     * tell, and nothing is refused.
     *
     * @param pins requirement lines such as {@code unsloth==2026.10.9}
     * @return why pip cannot install them (its last lines), or empty when it can or cannot tell
     */
    public Optional<String> installProblem(List<String> pins) {
        List<String> command = new ArrayList<>(List.of(config.get(BASE_PROPERTY).orElse("python3"), "-m", "pip",
                "install", "--dry-run", "--no-deps", "--quiet", "--disable-pip-version-check", "--no-input"));
        command.addAll(pipArgs());
        command.addAll(pins);
        Map.Entry<Long, Optional<String>> known = INSTALLABLE.get(command);
        if (known != null && System.nanoTime() - known.getKey() < Duration.ofMinutes(10).toNanos()) {
            return known.getValue();
        }
        Optional<String> problem;
        try {
            Processes.Result r = Processes.run(command, Map.of("PIP_RETRIES", System.getenv().getOrDefault(
                    "PIP_RETRIES", "0")), null, Duration.ofSeconds(60), line -> { });
            problem = r.code() == 0 || String.join(" ", r.tail()).contains("no such option") ? Optional.empty()
                    : Optional.of(pipProblem(r.tail()));
        } catch (IOException e) {
            problem = Optional.empty(); // no pip to ask: the start says what is missing
        }
        INSTALLABLE.put(command, Map.entry(System.nanoTime(), problem));
        return problem;
    }

    /**
     * @param tail pip's last lines of output
     * @return what pip refused with, for a reader: its ERROR lines when it wrote some (its warnings, about an index
     *     for example, left out), else its last lines; at most about 300 characters, cut between words
     */
    static String pipProblem(List<String> tail) {
        List<String> errors = tail.stream().map(String::trim).filter(l -> l.startsWith("ERROR:")).toList();
        String text = String.join(" ", errors.isEmpty() ? tail : errors).trim().replaceAll("\\s+", " ");
        if (text.length() <= 300) {
            return text;
        }
        int cut = text.indexOf(' ', text.length() - 300);
        return "..." + text.substring(cut < 0 ? text.length() - 300 : cut + 1);
    }

    /**
     * What is known about the interpreter without creating anything: a configured interpreter is probed
     * (once, a few seconds), a managed environment is read from its marker if it was made.
     *
     * @return the probe, or empty when the managed environment does not exist yet
     */
    public Optional<PythonProbe> knownProbe() {
        if (managed()) {
            return ManagedEnvironments.existing(cacheRoot(), requirements).flatMap(PythonEnvironment::knownProbe);
        }
        try {
            return Optional.of(environment(m -> { }).probe(requirements.packages().keySet()));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * The choice of a runner that needs one package in its Python: unavailable, naming the property to set, when the
     * known Python lacks it; else {@code score}, with the version found.
     *
     * @param strength what the runner is good at, said after the version ("broad coverage of models and methods")
     */
    public RunnerChoice choiceNeeding(String pkg, int score, String strength) {
        Optional<String> version = knownProbe().flatMap(p -> p.version(pkg));
        if (version.isEmpty()) {
            return RunnerChoice.unavailable("no Python with " + pkg + " on this host (set " + pythonProperty() + ")");
        }
        return new RunnerChoice(score, pkg + " " + version.get() + " is installed: " + strength);
    }

    /**
     * Checks the interpreter can run the job: Python 3.10 or newer, every pinned package, CUDA when the job
     * asks for GPUs, bitsandbytes for QLoRA. Each missing piece is one sentence naming it and how to get it.
     *
     * @param spec the job
     * @param env the interpreter
     * @return what the interpreter reported
     * @throws TrainerFailedException with cause missing_dependency or config
     */
    public PythonProbe preflight(JobSpec spec, PythonEnvironment env) {
        List<String> packages = new ArrayList<>(requirements.packages().keySet());
        if (spec.method().adapter() == AdapterType.QLORA) {
            packages.add("bitsandbytes");
        }
        PythonProbe probe;
        try {
            probe = env.probe(packages);
        } catch (IOException e) {
            throw new TrainerFailedException(JobFailure.of(FailureCause.MISSING_DEPENDENCY, "cannot run " + env.python()
                    + ": " + e.getMessage() + "; set the property " + PYTHON_PROPERTY + " to a working interpreter"));
        }
        String py = env.python().toString();
        if (!probe.pythonAtLeast310()) {
            throw missing("Python " + probe.python() + " at " + py + " is too old; runner '" + runner
                    + "' needs Python 3.10 or newer");
        }
        List<String> absent = new ArrayList<>();
        for (String dist : packages) {
            if (probe.version(dist).isEmpty()) {
                absent.add(dist);
            }
        }
        if (!absent.isEmpty()) {
            String pins = absent.stream().map(d -> "'" + requirements.pin(d) + "'").collect(Collectors.joining(" "));
            throw missing("Python package" + (absent.size() > 1 ? "s " : " ") + String.join(", ", absent)
                    + (absent.size() > 1 ? " are" : " is") + " missing from " + py + "; install with: " + py
                    + " -m pip install " + pins);
        }
        int gpus = spec.resources().gpus();
        if (gpus > 0 && !probe.cuda()) {
            throw new TrainerFailedException(JobFailure.of(FailureCause.CONFIG, "the job asks for " + gpus + " GPU"
                    + (gpus > 1 ? "s" : "") + " but torch " + probe.version("torch").orElse("?") + " at " + py
                    + " sees no CUDA device" + (probe.torchError() == null ? "" : " (" + probe.torchError() + ")")
                    + "; set resources.gpus to 0 to train on the CPU, or run it on a GPU host"));
        }
        if (gpus > probe.cudaDevices() && probe.cuda()) {
            throw new TrainerFailedException(JobFailure.of(FailureCause.CONFIG, "the job asks for " + gpus
                    + " GPUs but this host has " + probe.cudaDevices()));
        }
        return probe;
    }

    /**
     * QLoRA needs CUDA and bitsandbytes: what this runner's Python is known to lack for it, without making
     * anything (a managed environment is CPU torch without bitsandbytes; a named Python is probed once).
     *
     * @return the problems, pointing at {@code /method/adapter}; empty when QLoRA can run
     */
    public List<Violation> qloraProblems() {
        String why;
        if (managed() && requirements.packages().containsKey("torch")) {
            why = "runner '" + runner + "' has neither in its managed Python environment (CPU torch); set the property "
                    + pythonProperty() + " (or " + PYTHON_PROPERTY + ") to a CUDA Python with bitsandbytes installed";
        } else {
            Optional<PythonProbe> probe = knownProbe();
            if (probe.isEmpty()) {
                why = "the Python of runner '" + runner + "' could not be asked whether it has them; set "
                        + pythonProperty();
            } else if (!probe.get().cuda() || probe.get().version("bitsandbytes").isEmpty()) {
                why = probe.get().executable() + " has " + (probe.get().cuda() ? "CUDA" : "no CUDA") + " and "
                        + probe.get().version("bitsandbytes").map(v -> "bitsandbytes " + v).orElse("no bitsandbytes");
            } else {
                return List.of();
            }
        }
        return List.of(new Violation("/method/adapter", "qlora needs bitsandbytes and a CUDA GPU; " + why));
    }

    private static TrainerFailedException missing(String message) {
        return new TrainerFailedException(JobFailure.of(FailureCause.MISSING_DEPENDENCY, message));
    }

    /**
     * Prepares a launch: the interpreter (made if needed), the preflight, the scripts copied into
     * {@code <workdir>/python/}, the job's parameters in {@code <workdir>/trainer-args-N.json}.
     *
     * @param spec the job
     * @param ctx the attempt
     * @param mainScript the script to run, one of this trainer's scripts
     * @param args parameters the script reads (the spec is added under "spec")
     * @return the launch plan
     * @throws IOException when files cannot be written
     * @throws TrainerFailedException when the preflight fails
     */
    public LaunchPlan launch(JobSpec spec, RunContext ctx, String mainScript, Map<String, Object> args)
            throws IOException {
        return launch(spec, ctx, (staged, argsFile) -> List.of("-u", staged.resolve(mainScript).toString(),
                argsFile.toString()), args, Map.of());
    }

    /**
     * Prepares a launch of a command of this runner's Python, for trainers with their own entry point (a module
     * run with {@code -m}): the same interpreter, preflight, staged scripts and parameters file as {@link
     * #launch(JobSpec, RunContext, String, Map)}; the parameters file's path is also in the environment as
     * {@code TRAINING_ARGS}, the events file's as {@code TRAINING_EVENTS_FILE}.
     *
     * @param spec the job
     * @param ctx the attempt
     * @param arguments the interpreter's arguments, given the staged scripts' folder and the parameters file
     * @param args parameters for the trainer (the spec is added under "spec")
     * @param env more environment variables (never strings from the spec)
     * @return the launch plan
     * @throws IOException when files cannot be written
     * @throws TrainerFailedException when the preflight fails
     */
    public LaunchPlan launch(JobSpec spec, RunContext ctx, java.util.function.BiFunction<Path, Path, List<String>>
            arguments, Map<String, Object> args, Map<String, String> env) throws IOException {
        PythonEnvironment pyEnv = environment(ctx.progress());
        PythonProbe probe = preflight(spec, pyEnv);
        Path dir = stage(ctx.workdir().resolve("python"));
        Map<String, Object> all = new LinkedHashMap<>();
        all.put("job_id", ctx.jobId());
        all.put("attempt", ctx.attempt());
        all.put("workdir", ctx.workdir().toString());
        all.put("events_file", ctx.eventsFile().toString());
        all.put("output_dir", ctx.outputDir().toString());
        all.put("resume_from", ctx.resumeFrom().map(Path::toString).orElse(null));
        all.put("device", spec.resources().gpus() > 0 ? "cuda" : "cpu");
        all.put("bf16_supported", probe.bf16());
        int world = DistributedLaunch.worldSize(spec, ctx, cpuProcesses());
        all.putAll(DistributedLaunch.parameters(spec, world));
        all.putAll(args);
        all.put("spec", spec);
        Path argsFile = ctx.workdir().resolve("trainer-args-" + ctx.attempt() + ".json");
        Files.writeString(argsFile, PythonEnvironment.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(all));
        Map<String, String> envVars = new LinkedHashMap<>();
        envVars.put("PYTHONPATH", dir.toString());
        envVars.put("PYTHONUNBUFFERED", "1");
        envVars.put("PYTHONDONTWRITEBYTECODE", "1");
        envVars.put("TOKENIZERS_PARALLELISM", "false");
        envVars.put("HF_HUB_DISABLE_TELEMETRY", "1");
        if (Files.isDirectory(Path.of(spec.baseModel()))) {
            // A local model needs no hub: no call goes out, and none waits on an unreachable network.
            envVars.put("HF_HUB_OFFLINE", "1");
        }
        envVars.put("TRAINING_ARGS", argsFile.toString());
        envVars.put("TRAINING_EVENTS_FILE", ctx.eventsFile().toString());
        envVars.putAll(DistributedLaunch.environment(world));
        envVars.putAll(env);
        List<String> command = DistributedLaunch.command(pyEnv.python(), arguments.apply(dir, argsFile), world,
                ctx.stderr().resolveSibling("attempt-" + ctx.attempt() + "-ranks"));
        return new LaunchPlan(command, envVars, ctx.workdir(), ctx.stdout(), ctx.stderr());
    }

    /**
     * Copies the trainer's scripts into a folder.
     *
     * @param dir the folder, created if needed
     * @return the folder
     * @throws IOException when a script cannot be copied
     */
    public Path stage(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (Script s : scripts) {
            try (InputStream in = s.anchor().getResourceAsStream(s.resource())) {
                if (in == null) {
                    throw new UncheckedIOException(new IOException("missing resource " + s.resource() + " beside "
                            + s.anchor().getName()));
                }
                Files.copy(in, dir.resolve(Path.of(s.resource()).getFileName().toString()),
                        StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return dir;
    }

    /**
     * Runs one of this trainer's helper scripts to completion (making a test model, scoring one): the scripts
     * are staged in {@code <dir>/python/}, the arguments written to {@code <dir>/<script>-args.json}.
     *
     * @param script the script's file name
     * @param args what it reads
     * @param dir a working folder
     * @param lines receives every line it prints
     * @throws TrainerFailedException when it fails, with its last output lines
     */
    public void runTool(String script, Map<String, Object> args, Path dir, Consumer<String> lines) {
        PythonEnvironment env = environment(lines);
        try {
            Path staged = stage(dir.resolve("python"));
            Path argsFile = dir.resolve(script.replace(".py", "") + "-args.json");
            Files.writeString(argsFile, PythonEnvironment.JSON.writeValueAsString(args));
            Processes.Result r = Processes.run(List.of(env.python().toString(), "-u", staged.resolve(script).toString(),
                    argsFile.toString()), Map.of("PYTHONPATH", staged.toString(), "TOKENIZERS_PARALLELISM", "false",
                            "PYTHONDONTWRITEBYTECODE", "1", "HF_HUB_DISABLE_TELEMETRY", "1"), dir,
                    java.time.Duration.ofMinutes(30), lines);
            if (r.code() != 0) {
                throw new TrainerFailedException(classify(new ExitStatus(r.code()), r.tail()).orElse(new JobFailure(
                        FailureCause.UNKNOWN, script + " exited with code " + r.code(), r.tail())));
            }
        } catch (IOException e) {
            throw new TrainerFailedException(JobFailure.of(FailureCause.LAUNCH_FAILED, "cannot run " + script + ": "
                    + e.getMessage()));
        }
    }

    /**
     * Runs a helper script that writes a JSON report (scores, for example) to the file named by one of its
     * arguments, and reads the report.
     *
     * @param script the script's file name
     * @param args what it reads, less the report's file
     * @param reportKey the argument naming the report's file
     * @param dir a working folder
     * @param lines receives every line it prints
     * @return the report
     * @throws TrainerFailedException when the script fails
     */
    public tools.jackson.databind.JsonNode runToolReport(String script, Map<String, Object> args, String reportKey,
            Path dir, Consumer<String> lines) {
        try {
            Files.createDirectories(dir);
            Path report = Files.createTempFile(dir, script.replace(".py", "") + "-report", ".json");
            Map<String, Object> all = new java.util.LinkedHashMap<>(args);
            all.put(reportKey, report.toString());
            runTool(script, all, dir, lines);
            return PythonEnvironment.JSON.readTree(Files.readString(report));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * @param exit how the trainer ended
     * @param stderr its last stderr lines
     * @return the failure its Python stderr shows, if any
     */
    public Optional<JobFailure> classify(ExitStatus exit, List<String> stderr) {
        PythonEnvironment env = environment;
        return PythonFailures.classify(exit, stderr, env == null ? "the trainer's Python" : env.python().toString());
    }
}
