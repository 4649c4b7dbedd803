package dev.koder.training.unsloth;

import dev.koder.training.api.AdapterType;
import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.Hyperparameters;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.Objective;
import dev.koder.training.api.Resources;
import dev.koder.training.api.TrainingMethod;
import dev.koder.training.spi.PluginConfig;
import dev.koder.training.tck.ScratchDir;
import dev.koder.training.trl.TrlRunner;
import dev.koder.training.trl.TrlTools;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What the unsloth tests share, made once per JVM: the TRL runner's managed Python with the stand-in unsloth
 * package first on its path (through a wrapper script), the same Python without it, and a tiny Llama.
 */
final class UnslothStandIn {

    static final Path DATA = Path.of("../examples/data").toAbsolutePath().normalize();
    static final Path TRAIN = DATA.resolve("shout-train.jsonl");
    static final Path PREFS = DATA.resolve("shout-prefs.jsonl");

    private static UnslothStandIn instance;

    final Path dir;
    final Path python;
    final Path plainPython;
    final Path model;

    private UnslothStandIn() throws IOException, URISyntaxException {
        dir = ScratchDir.create("unsloth-standin");
        TrlRunner trl = new TrlRunner(new PluginConfig(dir, Map.of()));
        TrlTools tools = new TrlTools(trl);
        plainPython = trl.python().environment(line -> { }).python();
        python = tools.pythonWithPathFirst(dir.resolve("python-with-unsloth-standin"),
                Path.of(UnslothStandIn.class.getResource("/unsloth-standin").toURI()), line -> { });
        model = tools.tinyModel(dir.resolve("tiny-llama"), List.of(TRAIN, PREFS), 64, dir.resolve("work"),
                line -> { });
    }

    static synchronized UnslothStandIn get() {
        if (instance == null) {
            try {
                instance = new UnslothStandIn();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (URISyntaxException e) {
                throw new IllegalStateException(e);
            }
        }
        return instance;
    }

    /** @param home a home @return the configuration of a runner on the stand-in, CPU allowed */
    PluginConfig config(Path home) {
        return new PluginConfig(home, Map.of("training.python.unsloth", python.toString(),
                UnslothRunner.ALLOW_CPU_PROPERTY, "true"));
    }

    JobSpec.Builder spec(TrainingMethod method, int steps) {
        boolean dpo = method.objective() == Objective.DPO;
        return JobSpec.builder().name("tiny-unsloth").tenant("tests").baseModel(model.toString()).runner("unsloth")
                .method(method).hyperparameters(Hyperparameters.builder().maxSteps(steps).learningRate(2e-3)
                        .microBatchSize(8).maxSeqLength(64).gradientCheckpointing(true).build())
                .trainingData(DatasetRef.of(dpo ? PREFS : TRAIN, dpo ? DatasetFormat.PREFERENCE : DatasetFormat.CHAT))
                .resources(method.adapter() == AdapterType.QLORA ? Resources.gpus(1) : Resources.cpu());
    }
}
