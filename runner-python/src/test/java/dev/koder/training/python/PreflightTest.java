package dev.koder.training.python;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.FailureCause;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.Resources;
import dev.koder.training.api.TrainerFailedException;
import dev.koder.training.api.TrainingMethod;
import dev.koder.training.spi.PluginConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The preflight against a real interpreter given by path (the machine's python3, which has no torch). */
class PreflightTest {

    @TempDir
    Path home;

    static JobSpec spec(Resources resources) {
        return JobSpec.builder().name("p").tenant("t").baseModel("org/model").method(TrainingMethod.sftLora())
                .trainingData(DatasetRef.of("/d.jsonl", DatasetFormat.CHAT)).resources(resources).build();
    }

    PythonTrainer trainer(String requirements) {
        return new PythonTrainer("test", Requirements.parse("test", requirements),
                new PluginConfig(home, Map.of(PythonTrainer.PYTHON_PROPERTY, "python3")), List.of());
    }

    @Test
    void aMissingPackage_isOneSentence_namingItAndHowToInstallIt() {
        PythonTrainer t = trainer("torch==2.13.0\nno-such-dist-koder==1.0\n");
        assertThat(t.managed()).isFalse();
        assertThatThrownBy(() -> t.preflight(spec(Resources.cpu()), t.environment(m -> { })))
                .isInstanceOfSatisfying(TrainerFailedException.class, e -> {
                    assertThat(e.failure().cause()).isEqualTo(FailureCause.MISSING_DEPENDENCY);
                    assertThat(e.failure().message()).isEqualTo("Python packages torch, no-such-dist-koder are missing "
                            + "from python3; install with: python3 -m pip install 'torch==2.13.0' "
                            + "'no-such-dist-koder==1.0'");
                });
    }

    @Test
    void aPackagePipCannotGet_isRefusedWithPipsError_notItsWarnings() {
        assertThat(trainer("").installProblem(List.of("no-such-dist-koder==1.0"))).hasValueSatisfying(why ->
                assertThat(why).startsWith("ERROR:").contains("no-such-dist-koder==1.0").doesNotContain("WARNING"));
        String warning = "WARNING: Location 'file:///opt/index/simple/x/' is ignored: it is neither a file nor a "
                + "directory.";
        assertThat(PythonTrainer.pipProblem(List.of(warning, "ERROR: Could not find a version that satisfies the "
                + "requirement x==1 (from versions: none)", "ERROR: No matching distribution found for x==1")))
                .isEqualTo("ERROR: Could not find a version that satisfies the requirement x==1 (from versions: none) "
                        + "ERROR: No matching distribution found for x==1");
        String longer = PythonTrainer.pipProblem(List.of(("word ").repeat(100)));
        assertThat(longer).startsWith("...word ").hasSizeLessThanOrEqualTo(303).endsWith("word");
        assertThat(PythonTrainer.pipProblem(List.of("  just a line  "))).isEqualTo("just a line");
    }

    @Test
    void aGpuJob_onAPythonWithoutCuda_isRefusedWithTheReason() throws Exception {
        PythonTrainer t = trainer("");
        PythonProbe probe = t.preflight(spec(Resources.cpu()), t.environment(m -> { }));
        assertThat(probe.pythonAtLeast310()).isTrue();
        assertThatThrownBy(() -> t.preflight(spec(Resources.gpus(1)), t.environment(m -> { })))
                .isInstanceOfSatisfying(TrainerFailedException.class, e -> {
                    assertThat(e.failure().cause()).isEqualTo(FailureCause.CONFIG);
                    assertThat(e.failure().message()).startsWith("the job asks for 1 GPU but torch ? at python3 sees "
                            + "no CUDA device").contains("set resources.gpus to 0");
                });
    }

    @Test
    void anInterpreterThatDoesNotExist_isNamed() {
        PythonTrainer t = new PythonTrainer("test", Requirements.parse("test", ""), new PluginConfig(home,
                Map.of(PythonTrainer.PYTHON_PROPERTY, "/nowhere/bin/python")), List.of());
        assertThatThrownBy(() -> t.preflight(spec(Resources.cpu()), t.environment(m -> { })))
                .isInstanceOf(TrainerFailedException.class).hasMessageContaining("cannot run /nowhere/bin/python");
    }
}
