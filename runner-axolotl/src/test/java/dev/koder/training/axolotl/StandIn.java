package dev.koder.training.axolotl;

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
 * What the axolotl tests share, made once per JVM: a Python that has the stand-in axolotl package (the TRL
 * runner's managed environment with {@code axolotl-standin/} on its path, through a small wrapper script), and a
 * tiny random-initialised Llama over the bundled shout task.
 */
final class StandIn {

    static final Path DATA = Path.of("../examples/data").toAbsolutePath().normalize();
    static final Path TRAIN = DATA.resolve("shout-train.jsonl");
    static final Path PREFS = DATA.resolve("shout-prefs.jsonl");

    private static StandIn instance;

    final Path dir;
    final Path python;
    final Path model;

    private StandIn() throws IOException, URISyntaxException {
        dir = ScratchDir.create("axolotl-standin");
        TrlTools tools = new TrlTools(new TrlRunner(new PluginConfig(dir, Map.of())));
        python = tools.pythonWithPathFirst(dir.resolve("python-with-axolotl-standin"),
                Path.of(StandIn.class.getResource("/axolotl-standin").toURI()), line -> { });
        model = tools.tinyModel(dir.resolve("tiny-llama"), List.of(TRAIN, PREFS), 64, dir.resolve("work"),
                line -> { });
    }

    static synchronized StandIn get() {
        if (instance == null) {
            try {
                instance = new StandIn();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (URISyntaxException e) {
                throw new IllegalStateException(e);
            }
        }
        return instance;
    }

    /** @param home a home folder @return the runner configured with the stand-in's Python */
    AxolotlRunner runner(Path home) {
        return new AxolotlRunner(config(home));
    }

    PluginConfig config(Path home) {
        return new PluginConfig(home, Map.of("training.python.axolotl", python.toString()));
    }

    /** @param method the method @param steps training steps @return a CPU job on the tiny model */
    JobSpec.Builder spec(TrainingMethod method, int steps) {
        boolean dpo = method.objective() == Objective.DPO;
        return JobSpec.builder().name("tiny-axolotl").tenant("tests").baseModel(model.toString()).runner("axolotl")
                .method(method).hyperparameters(Hyperparameters.builder().maxSteps(steps).learningRate(2e-3)
                        .microBatchSize(8).maxSeqLength(64).gradientCheckpointing(false).build())
                .trainingData(DatasetRef.of(dpo ? PREFS : TRAIN, dpo ? DatasetFormat.PREFERENCE : DatasetFormat.CHAT))
                .resources(method.adapter() == dev.koder.training.api.AdapterType.QLORA ? Resources.gpus(1)
                        : Resources.cpu());
    }
}
