package dev.koder.training.axolotl;

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
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Trains with axolotl (broad coverage of models and methods): SFT full, LoRA and QLoRA, and DPO. Each attempt
 * writes an axolotl 0.18 config and the converted data into {@code <job>/axolotl/} ({@link AxolotlJob}) and runs
 * {@code python -m axolotl.cli.train config.yml} with the plugin {@code training_axolotl.TrainingEventsPlugin},
 * which adds the SDK's events callback to axolotl's trainer through axolotl's own plugin mechanism.
 *
 * <p>axolotl lives in a Python of its own: name it with {@code training.python.axolotl} (or
 * {@code training.python}); otherwise a managed environment is made with axolotl pinned (needs PyPI). The
 * run's environment: {@code AXOLOTL_DO_NOT_TRACK=1}, {@code WANDB_MODE=disabled}, {@code HF_HUB_OFFLINE=1} when
 * the base model is a local folder; cancel is SIGTERM (the plugin saves a checkpoint and stops); resume is
 * {@code resume_from_checkpoint}.
 */
public final class AxolotlRunner extends PythonRunner {

    /** The runner's name. */
    public static final String NAME = "axolotl";
    /** The plugin module beside this class. */
    static final String PLUGIN_SCRIPT = "training_axolotl.py";
    static final Requirements REQUIREMENTS = Requirements.fromResource(NAME, AxolotlRunner.class, "requirements.txt");

    /** @param config plugin configuration: the properties of {@link PythonTrainer} */
    public AxolotlRunner(PluginConfig config) {
        super(NAME, new PythonTrainer(NAME, REQUIREMENTS, config,
                List.of(new PythonTrainer.Script(AxolotlRunner.class, PLUGIN_SCRIPT))));
    }

    @Override
    public RunnerCapabilities capabilities() {
        return new RunnerCapabilities(MethodKind.languageModels(), DatasetFormat.languageModelFormats(), true, true);
    }

    @Override
    public List<Violation> check(JobSpec spec) {
        List<Violation> problems = new ArrayList<>();
        dev.koder.training.python.AdapterBases.unsupported(name(), spec).ifPresent(problems::add);
        if (spec.checkpoints().best()) {
            problems.add(new Violation("/checkpoints/select", "runner 'axolotl' outputs its last step; the best "
                    + "evaluated checkpoint is chosen by runners trl and unsloth"));
        }
        if (spec.method().objective() == Objective.DPO && spec.hyperparameters().packing()) {
            problems.add(new Violation("/hyperparameters/packing", "axolotl cannot pack DPO data "
                    + "(sample_packing with rl); set packing to false"));
        }
        Optional<PythonProbe> probe = python().knownProbe();
        if (!python().managed() && probe.isPresent() && probe.get().version("axolotl").isEmpty()) {
            problems.add(new Violation("/runner", "runner 'axolotl' needs axolotl " + AxolotlSchema.VERSION + " in "
                    + probe.get().executable() + ", which does not have it; install it there or set "
                    + python().pythonProperty() + " to a Python that has it"));
        }
        if (spec.method().adapter() == AdapterType.QLORA) {
            problems.addAll(python().qloraProblems());
        }
        return problems;
    }

    /** Second after unsloth: broad coverage, where a Python with axolotl is there. */
    @Override
    public RunnerChoice choice(JobSpec spec) {
        return python().choiceNeeding("axolotl", 20, "broad coverage of models and methods");
    }

    @Override
    public LaunchPlan prepare(JobSpec spec, RunContext ctx) throws IOException {
        boolean cuda = spec.resources().gpus() > 0;
        Path dir = ctx.workdir().resolve("axolotl");
        boolean bf16 = python().knownProbe().map(PythonProbe::bf16).orElse(false);
        AxolotlJob.write(spec, dir, ctx.outputDir(), ctx.resumeFrom().orElse(null), cuda, bf16, AxolotlJob.Paths.ABSOLUTE);
        Map<String, String> env = new LinkedHashMap<>();
        env.put("AXOLOTL_DO_NOT_TRACK", "1");
        env.put("WANDB_MODE", "disabled");
        env.put("DO_NOT_TRACK", "1");
        if (!cuda) {
            env.put("CUDA_VISIBLE_DEVICES", "");
        }
        Path config = dir.resolve(AxolotlJob.CONFIG);
        python().knownProbe().flatMap(p -> p.version("axolotl")).ifPresent(v -> ctx.progress().accept("axolotl " + v
                + (v.startsWith(AxolotlSchema.VERSION.substring(0, AxolotlSchema.VERSION.lastIndexOf('.')))
                        ? "" : "; the config was made and checked for axolotl " + AxolotlSchema.VERSION)));
        return python().launch(spec, ctx, (staged, argsFile) -> List.of("-u", "-m", "axolotl.cli.train",
                config.toString()), Map.of("axolotl_config", config.toString()), env);
    }

    /** Finds the runner through ServiceLoader. */
    public static final class Provider implements TrainingRunnerProvider {
        @Override
        public String name() {
            return NAME;
        }

        @Override
        public TrainingRunner create(PluginConfig config) {
            return new AxolotlRunner(config);
        }
    }
}
