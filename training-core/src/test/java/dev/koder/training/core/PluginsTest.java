package dev.koder.training.core;

import dev.koder.training.tck.ScriptedRunner;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.koder.training.api.AmbiguousPluginException;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobQuery;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.PluginNotFoundException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PluginsTest {

    @TempDir
    Path dir;

    @Test
    void noRunnerAnywhere_namesTheArtifactToAdd_andStoresNothing() {
        Fixtures fx = new Fixtures(dir);
        try (Training t = Training.builder().home(dir.resolve("home")).build()) {
            assertThatThrownBy(() -> t.jobs().submit(fx.spec(1))).isInstanceOf(PluginNotFoundException.class)
                    .hasMessage("No training runner found. Add the artifact dev.koder.training:runner-trl to the "
                            + "class path, or pass one to Training.builder().");
            assertThat(t.jobs().list(JobQuery.all()).items()).isEmpty();
        }
    }

    @Test
    void twoEquallyGoodRunners_nameThePropertyThatPicksOne() throws Exception {
        Fixtures fx = new Fixtures(dir);
        try (Training t = Training.builder().home(dir.resolve("home")).runner(new ScriptedRunner())
                .runner(new ScriptedRunner("other", ScriptedRunner.allMethods())).pollInterval(Duration.ofMillis(50))
                .build()) {
            assertThatThrownBy(() -> t.jobs().submit(fx.spec(1))).isInstanceOf(AmbiguousPluginException.class)
                    .hasMessage("Several training runners found: script, other. Pick one with the property "
                            + "training.runner=<name>.");
            Job named = t.jobs().await(t.jobs().submit(fx.spec(1, Map.of()).runner("other").build()).id(),
                    Duration.ofSeconds(60));
            assertThat(named.runner()).isEqualTo("other");
            assertThat(named.status()).isEqualTo(JobStatus.SUCCEEDED);
        }
        try (Training t = Training.builder().home(dir.resolve("home2")).runner(new ScriptedRunner())
                .runner(new ScriptedRunner("other", ScriptedRunner.allMethods())).property("training.runner", "other")
                .build()) {
            assertThat(t.jobs().submit(fx.spec(1)).runner()).isEqualTo("other");
        }
    }

    @Test
    void anUnknownRunnerName_listsTheKnownOnes() {
        Fixtures fx = new Fixtures(dir);
        try (Training t = Training.builder().home(dir.resolve("home")).runner(new ScriptedRunner()).build()) {
            assertThatThrownBy(() -> t.jobs().submit(fx.spec(1, Map.of()).runner("axolotl").build()))
                    .isInstanceOf(PluginNotFoundException.class)
                    .hasMessage("Unknown training runner 'axolotl'; known: script.");
        }
    }

    @Test
    void aRunnerWithoutTheMethod_isRefusedAtSubmit_namingWhatItCanDo() {
        Fixtures fx = new Fixtures(dir);
        var onlyLora = java.util.Set.of(new dev.koder.training.spi.MethodKind(dev.koder.training.api.Objective.SFT,
                dev.koder.training.api.AdapterType.LORA));
        try (Training t = Training.builder().home(dir.resolve("home")).runner(new ScriptedRunner("lora-only", onlyLora))
                .build()) {
            assertThatThrownBy(() -> t.jobs().submit(fx.spec(1, Map.of()).method(
                    dev.koder.training.api.TrainingMethod.sftFull()).build()))
                    .hasMessageContaining("/method: runner 'lora-only' does not train sft+full; it trains sft+lora");
        }
    }

    @Test
    void trackingSinks_foundByServiceLoader_receiveEveryEvent() throws Exception {
        Fixtures fx = new Fixtures(dir);
        RecordingTrackingSink.EVENTS.clear();
        try (Training t = Training.builder().home(dir.resolve("home")).runner(new ScriptedRunner())
                .pollInterval(Duration.ofMillis(50)).build()) {
            Job job = t.jobs().await(t.jobs().submit(fx.spec(2)).id(), Duration.ofSeconds(60));
            long stored = Fixtures.events(t.jobs(), job.id()).size();
            Fixtures.waitFor(t.jobs(), job.id(), j -> RecordingTrackingSink.EVENTS.stream()
                    .filter(e -> e.jobId().equals(job.id())).count() == stored, Duration.ofSeconds(10));
            assertThat(RecordingTrackingSink.EVENTS).extracting(JobEvent::type).contains("status", "progress");
        }
    }
}
