package dev.koder.training.unsloth;

import dev.koder.training.api.AdapterType;
import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.Objective;
import dev.koder.training.api.Violation;
import dev.koder.training.python.PythonProbe;
import dev.koder.training.python.PythonRunner;
import dev.koder.training.python.PythonTrainer;
import dev.koder.training.python.Requirements;
import dev.koder.training.spi.LaunchPlan;
import dev.koder.training.spi.MethodKind;
import dev.koder.training.spi.PluginConfig;
import dev.koder.training.spi.RunContext;
import dev.koder.training.spi.RunnerCapabilities;
import dev.koder.training.spi.RunnerChoice;
import dev.koder.training.spi.TrainingRunner;
import dev.koder.training.spi.TrainingRunnerProvider;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Trains with unsloth: faster LoRA and QLoRA on CUDA GPUs (the SDK prefers it for those when it is installed),
 * and full SFT (the pinned unsloth's {@code full_finetuning}). DPO with LoRA or QLoRA through TRL's DPO trainer
 * with unsloth's patch. CUDA only: a job is refused at submit, with the reason, where the Python has no CUDA or
 * no unsloth.
 *
 * <p>Its Python: {@code training.python.unsloth} (or {@code training.python}), else a managed environment with
 * unsloth pinned, made on first use on a CUDA host. Each job has its own compile cache
 * ({@code UNSLOTH_COMPILE_LOCATION} in the job's folder). {@code training.unsloth.allow-cpu=true} lifts the CUDA
 * rule, for testing the runner with a stand-in unsloth on a machine without a GPU; real unsloth needs CUDA.
 */
public final class UnslothRunner extends PythonRunner {

    /** The runner's name. */
    public static final String NAME = "unsloth";
    /** The property that lets CPU jobs through, for tests with a stand-in unsloth. */
    public static final String ALLOW_CPU_PROPERTY = "training.unsloth.allow-cpu";
    static final String TRAIN_SCRIPT = "unsloth_train.py";
    static final Requirements REQUIREMENTS = Requirements.fromResource(NAME, UnslothRunner.class, "requirements.txt");

    private static final Set<MethodKind> METHODS = Set.of(new MethodKind(Objective.SFT, AdapterType.LORA),
            new MethodKind(Objective.SFT, AdapterType.QLORA), new MethodKind(Objective.SFT, AdapterType.FULL),
            new MethodKind(Objective.DPO, AdapterType.LORA), new MethodKind(Objective.DPO, AdapterType.QLORA));

    private final boolean allowCpu;

    /** @param config plugin configuration: the properties of {@link PythonTrainer}, and {@value #ALLOW_CPU_PROPERTY} */
    public UnslothRunner(PluginConfig config) {
        super(NAME, new PythonTrainer(NAME, REQUIREMENTS, config,
                List.of(new PythonTrainer.Script(UnslothRunner.class, TRAIN_SCRIPT))));
        this.allowCpu = config.get(ALLOW_CPU_PROPERTY).map(v -> v.strip().equalsIgnoreCase("true")).orElse(false);
    }

    @Override
    public RunnerCapabilities capabilities() {
        return new RunnerCapabilities(METHODS, DatasetFormat.languageModelFormats(), allowCpu, true);
    }

    @Override
    public List<Violation> check(JobSpec spec) {
        List<Violation> problems = new ArrayList<>();
        dev.koder.training.python.AdapterBases.unsupported(name(), spec).ifPresent(problems::add);
        if (spec.resources().gpus() > 1) {
            problems.add(new Violation("/resources/gpus", "unsloth trains on one GPU, got " + spec.resources().gpus()
                    + "; run a job of several GPUs with runner trl or axolotl"));
            return problems;
        }
        Optional<PythonProbe> probe = python().knownProbe();
        if (probe.isEmpty()) {
            if (!python().managed() || spec.resources().gpus() == 0) {
                problems.add(new Violation("/runner", "runner 'unsloth' has no Python with unsloth on this host; set "
                        + python().pythonProperty() + " to a CUDA Python with unsloth installed"));
            } else {
                // the managed environment is made when the first job starts: ask pip now whether it can be
                python().installProblem(List.of(REQUIREMENTS.pin("unsloth"))).ifPresent(why -> problems.add(
                        new Violation("/runner", "runner 'unsloth' cannot make its Python environment here: pip "
                                + "cannot install '" + REQUIREMENTS.pin("unsloth") + "'; install unsloth into a CUDA "
                                + "Python and set " + python().pythonProperty() + ", or run the job with runner trl "
                                + "(pip said: " + why + ")")));
            }
            return problems;
        }
        PythonProbe p = probe.get();
        if (p.version("unsloth").isEmpty()) {
            problems.add(new Violation("/runner", "runner 'unsloth' needs unsloth in " + p.executable()
                    + ", which does not have it; install it there (" + p.executable() + " -m pip install '"
                    + REQUIREMENTS.pin("unsloth") + "') or set " + python().pythonProperty()));
        }
        if (!p.cuda() && !allowCpu) {
            problems.add(new Violation("/resources/gpus", "unsloth trains on CUDA GPUs only, and " + p.executable()
                    + " sees none" + (p.torchError() == null ? "" : " (" + p.torchError() + ")")
                    + "; run the job with runner trl, or on a GPU host"));
        }
        if (spec.method().adapter() == AdapterType.QLORA && p.version("bitsandbytes").isEmpty()) {
            problems.add(new Violation("/method/adapter", "qlora needs bitsandbytes, which " + p.executable()
                    + " does not have"));
        }
        return problems;
    }

    /** First for LoRA and QLoRA on CUDA, where it is installed: unsloth's speed on small models. */
    @Override
    public RunnerChoice choice(JobSpec spec) {
        if (spec.method().adapter() == AdapterType.FULL) {
            return new RunnerChoice(5, "unsloth is installed (preferred for LoRA and QLoRA, not full fine-tunes)");
        }
        if (spec.resources().gpus() == 0) {
            return RunnerChoice.unavailable("unsloth trains on CUDA GPUs only");
        }
        return python().choiceNeeding("unsloth", 30, "the fastest for LoRA and QLoRA on CUDA");
    }

    @Override
    public LaunchPlan prepare(JobSpec spec, RunContext ctx) throws IOException {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("UNSLOTH_COMPILE_LOCATION", ctx.workdir().resolve("unsloth_compiled_cache").toString());
        return python().launch(spec, ctx, (staged, argsFile) -> List.of("-u", staged.resolve(TRAIN_SCRIPT).toString(),
                argsFile.toString()), Map.of(), env);
    }

    /** Finds the runner through ServiceLoader. */
    public static final class Provider implements TrainingRunnerProvider {
        @Override
        public String name() {
            return NAME;
        }

        @Override
        public TrainingRunner create(PluginConfig config) {
            return new UnslothRunner(config);
        }
    }
}
