package dev.koder.training.trl;

import dev.koder.training.api.AdapterType;
import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.Violation;
import dev.koder.training.python.PythonRunner;
import dev.koder.training.python.PythonTrainer;
import dev.koder.training.python.Requirements;
import dev.koder.training.spi.LaunchPlan;
import dev.koder.training.spi.MethodKind;
import dev.koder.training.spi.PluginConfig;
import dev.koder.training.spi.RunContext;
import dev.koder.training.spi.RunnerCapabilities;
import dev.koder.training.spi.RunnerChoice;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * The default runner: TRL with transformers and peft, which runs anywhere PyTorch runs (here on a CPU with tiny
 * models, on GPU hosts at full size). Trains SFT (full or LoRA), QLoRA (bitsandbytes 4-bit, CUDA only) and DPO
 * (LoRA, with the base as reference through the disabled adapter, or full, with a frozen copy as reference).
 *
 * <p>Its Python comes from {@link PythonTrainer}: a managed virtualenv with {@code requirements.txt} beside this
 * class, or the interpreter named by the property {@code training.python}.
 */
public final class TrlRunner extends PythonRunner {

    /** The runner's name. */
    public static final String NAME = "trl";
    static final String TRAIN_SCRIPT = "trl_train.py";
    static final Requirements REQUIREMENTS = Requirements.fromResource(NAME, TrlRunner.class, "requirements.txt");

    /** @param config plugin configuration: the properties of {@link PythonTrainer} */
    public TrlRunner(PluginConfig config) {
        super(NAME, new PythonTrainer(NAME, REQUIREMENTS, config, List.of(
                new PythonTrainer.Script(TrlRunner.class, TRAIN_SCRIPT),
                new PythonTrainer.Script(TrlRunner.class, "tiny_model.py"),
                new PythonTrainer.Script(TrlRunner.class, "evaluate.py"))));
    }

    @Override
    public RunnerCapabilities capabilities() {
        return new RunnerCapabilities(MethodKind.languageModels(), DatasetFormat.languageModelFormats(), true, true,
                true);
    }

    /** QLoRA needs CUDA and bitsandbytes: refused at once when the interpreter is known to lack them. */
    @Override
    public List<Violation> check(JobSpec spec) {
        if (spec.method().adapter() == AdapterType.QLORA && dev.koder.training.python.AdapterBases.startsFromAdapter(
                spec)) {
            return List.of(new Violation("/method/adapter", "runner 'trl' continues an adapter checkpoint with lora "
                    + "(the same adapter trains on) or full (merged first), not qlora"));
        }
        return spec.method().adapter() == AdapterType.QLORA ? python().qloraProblems() : List.of();
    }

    /** Last of the SDK's runners when a spec names none, and always there: it runs anywhere PyTorch runs. */
    @Override
    public RunnerChoice choice(JobSpec spec) {
        return new RunnerChoice(10, "runs anywhere PyTorch runs");
    }

    @Override
    public LaunchPlan prepare(JobSpec spec, RunContext context) throws IOException {
        return python().launch(spec, context, TRAIN_SCRIPT, Map.of());
    }
}
