package dev.koder.training.unsloth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Resources;
import dev.koder.training.api.TrainingMethod;
import dev.koder.training.api.Violation;
import dev.koder.training.core.Training;
import dev.koder.training.spi.PluginConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The unsloth trainer program end to end through the service, over the stand-in unsloth (it records how it was
 * called): SFT with LoRA and DPO train and report, the spec reaches unsloth's calls as meant, and a host
 * without CUDA or without unsloth is refused at submit with the reason.
 */
class UnslothTrainingTest {

    static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path dir;

    Training service(PluginConfig config) {
        return Training.builder().home(dir.resolve("home")).runner(new UnslothRunner(config))
                .pollInterval(Duration.ofMillis(100)).build();
    }

    static List<JsonNode> calls(Training t, Job job) throws Exception {
        Path file = t.home().resolve("jobs").resolve(job.id()).resolve("unsloth-standin-calls.jsonl");
        return Files.readAllLines(file).stream().map(JSON::readTree).toList();
    }

    static JsonNode call(List<JsonNode> calls, String name) {
        return calls.stream().filter(c -> c.path("call").asString().equals(name)).findFirst().orElseThrow()
                .path("arguments");
    }

    @Test
    void loraSft_trainsThroughUnslothsCalls_withTheSpecMappedOntoThem() throws Exception {
        UnslothStandIn s = UnslothStandIn.get();
        try (Training t = service(s.config(dir))) {
            Job job = t.jobs().await(t.jobs().submit(s.spec(TrainingMethod.sftLora(), 6).build()).id(),
                    Duration.ofMinutes(5));
            assertThat(job.status()).as("%s", job.failure()).isEqualTo(JobStatus.SUCCEEDED);
            assertThat(Path.of(job.output()).resolve("adapter_config.json")).exists();
            List<JobEvent> events = t.jobs().events(job.id(), 0, 1000).items();
            assertThat(events).anySatisfy(e -> assertThat(e.type()).isEqualTo(JobEvent.TYPE_STARTED))
                    .anySatisfy(e -> assertThat(e.type()).isEqualTo(JobEvent.TYPE_PROGRESS));
            List<JsonNode> calls = calls(t, job);
            JsonNode load = call(calls, "from_pretrained");
            assertThat(load.path("max_seq_length").asInt()).isEqualTo(64);
            assertThat(load.path("load_in_4bit").asBoolean()).isFalse();
            assertThat(load.path("full_finetuning").asBoolean()).isFalse();
            JsonNode peft = call(calls, "get_peft_model");
            assertThat(peft.path("r").asInt()).isEqualTo(16);
            assertThat(peft.path("lora_alpha").asInt()).isEqualTo(32);
            assertThat(peft.path("use_gradient_checkpointing").asString()).isEqualTo("unsloth");
            assertThat(peft.path("random_state").asInt()).isEqualTo(job.spec().hyperparameters().seed());
            assertThat(peft.path("target_modules")).extracting(JsonNode::asString).containsExactly("q_proj", "k_proj",
                    "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");
            assertThat(t.home().resolve("jobs").resolve(job.id())).isDirectory();
        }
    }

    /** unsloth's get_peft_model refuses a target module the model lacks; the stand-in does the same. */
    @Test
    void aTargetModuleTheModelLacks_failsTheJob_asUnslothWould() throws Exception {
        UnslothStandIn s = UnslothStandIn.get();
        try (Training t = service(s.config(dir))) {
            Job job = t.jobs().await(t.jobs().submit(s.spec(TrainingMethod.sftLora(dev.koder.training.api.LoraConfig
                    .builder().targetModules(List.of("q_proj", "c_attn")).build()), 4).build()).id(),
                    Duration.ofMinutes(5));
            assertThat(job.status()).isEqualTo(JobStatus.FAILED);
            assertThat(job.failure().message() + job.failure().logTail()).contains("c_attn");
        }
    }

    @Test
    void loraDpo_patchesTheDpoTrainer_andTrains() throws Exception {
        UnslothStandIn s = UnslothStandIn.get();
        try (Training t = service(s.config(dir))) {
            Job job = t.jobs().await(t.jobs().submit(s.spec(TrainingMethod.dpoLora(), 4).build()).id(),
                    Duration.ofMinutes(5));
            assertThat(job.status()).as("%s", job.failure()).isEqualTo(JobStatus.SUCCEEDED);
            assertThat(calls(t, job)).extracting(c -> c.path("call").asString()).startsWith("PatchDPOTrainer",
                    "from_pretrained", "get_peft_model");
        }
    }

    @Test
    void aHostWithoutCuda_orWithoutUnsloth_isRefusedAtSubmit_withTheReason() {
        UnslothStandIn s = UnslothStandIn.get();
        UnslothRunner noCuda = new UnslothRunner(new PluginConfig(dir, Map.of("training.python.unsloth",
                s.python.toString())));
        assertThat(noCuda.capabilities().cpu()).isFalse();
        List<Violation> cuda = noCuda.check(s.spec(TrainingMethod.sftLora(), 2).resources(Resources.gpus(1)).build());
        assertThat(cuda).anySatisfy(v -> {
            assertThat(v.pointer()).isEqualTo("/resources/gpus");
            assertThat(v.message()).contains("unsloth trains on CUDA GPUs only");
        });
        UnslothRunner noUnsloth = new UnslothRunner(new PluginConfig(dir, Map.of("training.python.unsloth",
                s.plainPython.toString(), UnslothRunner.ALLOW_CPU_PROPERTY, "true")));
        assertThat(noUnsloth.check(s.spec(TrainingMethod.sftLora(), 2).build())).anySatisfy(v -> {
            assertThat(v.pointer()).isEqualTo("/runner");
            assertThat(v.message()).contains("needs unsloth").contains("unsloth==2026.10.9");
        });
        assertThat(noUnsloth.choice(s.spec(TrainingMethod.sftLora(), 2).build()).available()).isFalse();
    }

    /** The managed environment is made when the first job starts; whether it can be, pip is asked at submit. */
    @Test
    void aManagedEnvironmentPipCannotMake_isRefusedAtSubmit_notWhenTheJobStarts() throws Exception {
        UnslothStandIn s = UnslothStandIn.get();
        Path emptyIndex = java.nio.file.Files.createDirectories(dir.resolve("empty-index"));
        UnslothRunner managed = new UnslothRunner(new PluginConfig(dir, Map.of("training.python.pip-args",
                "--no-index --find-links " + emptyIndex)));
        List<Violation> problems = managed.check(s.spec(TrainingMethod.sftLora(), 2).resources(Resources.gpus(1))
                .build());
        assertThat(problems).anySatisfy(v -> {
            assertThat(v.pointer()).isEqualTo("/runner");
            assertThat(v.message()).contains("cannot make its Python environment here: pip cannot install "
                    + "'unsloth==2026.10.9'; ").contains("training.python.unsloth")
                    .contains("(pip said: ERROR: ").endsWith(")");
        });
    }
}
