package dev.koder.training.axolotl;

import dev.koder.training.tck.KitProcess;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.koder.training.api.AdapterType;
import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.DpoConfig;
import dev.koder.training.api.Hyperparameters;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.LoraConfig;
import dev.koder.training.api.QuantizationConfig;
import dev.koder.training.api.Resources;
import dev.koder.training.api.Scheduler;
import dev.koder.training.api.TrainingMethod;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.core.type.TypeReference;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * The generated config for every method: checked against axolotl 0.18.0's schema and the rules it cannot
 * express, with unknown keys refused; and against the official example configs, whose training-deciding keys
 * a spec of the same intent must reproduce.
 */
class AxolotlConfigTest {

    static final YAMLMapper YAML = YAMLMapper.builder().build();
    static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {
    };

    /** What decides training in a config: the keys compared with the official examples. */
    static final List<String> DECISIVE = List.of("base_model", "adapter", "load_in_4bit", "lora_r", "lora_alpha",
            "lora_dropout", "lora_target_linear", "rl", "sequence_len", "sample_packing", "micro_batch_size",
            "gradient_accumulation_steps", "num_epochs", "lr_scheduler", "learning_rate", "warmup_ratio",
            "weight_decay", "gradient_checkpointing", "bf16", "tf32");

    @TempDir
    Path dir;

    static Map<String, Object> example(String name) throws IOException {
        try (InputStream in = AxolotlConfigTest.class.getResourceAsStream("/axolotl-examples/" + name)) {
            return YAML.readValue(in, MAP);
        }
    }

    Path data(String name, String line) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, line.repeat(4));
        return p;
    }

    Path chat() throws IOException {
        return data("chat.jsonl", "{\"messages\":[{\"role\":\"user\",\"content\":\"Shout: cat\"},"
                + "{\"role\":\"assistant\",\"content\":\"CAT\"}]}\n");
    }

    Path alpaca() throws IOException {
        return data("alpaca.jsonl", "{\"instruction\":\"Shout\",\"input\":\"cat\",\"output\":\"CAT\"}\n");
    }

    Path prefs() throws IOException {
        return data("prefs.jsonl", "{\"input\":{\"messages\":[{\"role\":\"user\",\"content\":\"Shout: cat\"}]},"
                + "\"preferred_output\":[{\"role\":\"assistant\",\"content\":\"CAT\"}],"
                + "\"non_preferred_output\":[{\"role\":\"assistant\",\"content\":\"cat\"}]}\n");
    }

    /** The recipe of the llama-3 examples: rank 32, alpha 16, 4 epochs of micro-batch 2 x 4, cosine, 10% warm-up. */
    static JobSpec.Builder llama3(String base, TrainingMethod method, Path data, DatasetFormat format, int seq,
            boolean packing, double lr) {
        return JobSpec.builder().name("golden").tenant("acme").baseModel(base).method(method)
                .hyperparameters(Hyperparameters.builder().epochs(4).learningRate(lr).scheduler(Scheduler.COSINE)
                        .warmupRatio(0.1).batchSize(8).microBatchSize(2).maxSeqLength(seq).weightDecay(0.0)
                        .gradientCheckpointing(true).packing(packing).build())
                .trainingData(DatasetRef.of(data, format)).resources(Resources.gpus(1));
    }

    static LoraConfig rank32() {
        return LoraConfig.builder().rank(32).alpha(16).dropout(0.05).targetModules("all-linear").build();
    }

    Map<String, Object> generate(JobSpec spec, boolean cuda) throws IOException {
        Path job = dir.resolve("job-" + spec.method().label().replace('+', '-') + (cuda ? "-gpu" : "-cpu"));
        Map<String, Object> config = AxolotlJob.write(spec, job, job.resolve("output"), null, cuda, cuda,
                AxolotlJob.Paths.ABSOLUTE);
        Map<String, Object> written = YAML.readValue(job.resolve(AxolotlJob.CONFIG).toFile(), MAP);
        assertThat(written).as("the YAML file holds the config").isEqualTo(YAML.readValue(
                YAML.writeValueAsString(config), MAP));
        return written;
    }

    static void sameDecisiveKeys(Map<String, Object> ours, Map<String, Object> upstream, List<String> except) {
        Map<String, Object> a = new LinkedHashMap<>();
        Map<String, Object> b = new LinkedHashMap<>();
        for (String k : DECISIVE) {
            if (!except.contains(k)) {
                a.put(k, normal(ours.get(k)));
                b.put(k, normal(upstream.get(k)));
            }
        }
        assertThat(a).isEqualTo(b);
    }

    /** YAML reads 2e-5 as a string and 0.0002 as a number, 4 as an integer and 4.0 as a double. */
    static Object normal(Object v) {
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        if (v instanceof String s) {
            try {
                return Double.parseDouble(s);
            } catch (NumberFormatException e) {
                return s;
            }
        }
        return v;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> dataset(Map<String, Object> config) {
        return ((List<Map<String, Object>>) config.get("datasets")).get(0);
    }

    @Test
    void qlora_matchesTheOfficialQloraExample() throws Exception {
        Map<String, Object> upstream = example("llama-3__qlora.yml");
        JobSpec spec = llama3("NousResearch/Meta-Llama-3-8B", TrainingMethod.qlora(rank32(),
                QuantizationConfig.defaults()), alpaca(), DatasetFormat.ALPACA, 4096, true, 2e-4).build();
        Map<String, Object> ours = generate(spec, true);
        sameDecisiveKeys(ours, upstream, List.of());
        assertThat(dataset(ours).get("type")).isEqualTo(((List<Map<String, Object>>) upstream.get("datasets")).get(0)
                .get("type"));
        assertThat(ours).containsEntry("load_in_8bit", false).containsKey("bnb_config_kwargs");
    }

    @Test
    void lora_matchesTheOfficialLoraExample_butLoadsTheBaseIn16Bits() throws Exception {
        Map<String, Object> upstream = example("llama-3__lora-8b.yml");
        JobSpec spec = llama3("NousResearch/Meta-Llama-3-8B", TrainingMethod.sftLora(rank32()), alpaca(),
                DatasetFormat.ALPACA, 4096, true, 2e-4).build();
        Map<String, Object> ours = generate(spec, true);
        // The example loads the base in 8 bits (LoRA over an int8 base); a spec's LoRA trains over a 16-bit base.
        sameDecisiveKeys(ours, upstream, List.of("load_in_4bit"));
        assertThat(upstream).containsEntry("load_in_8bit", true);
        assertThat(ours).doesNotContainKey("load_in_8bit");
        assertThat(dataset(ours)).containsEntry("type", "alpaca");
    }

    @Test
    void chatLora_matchesTheOfficialInstructExample() throws Exception {
        Map<String, Object> upstream = example("llama-3__instruct-lora-8b.yml");
        JobSpec spec = llama3("NousResearch/Meta-Llama-3-8B-Instruct", TrainingMethod.sftLora(rank32()), chat(),
                DatasetFormat.CHAT, 4096, false, 2e-4).build();
        Map<String, Object> ours = generate(spec, true);
        sameDecisiveKeys(ours, upstream, List.of("load_in_4bit"));
        assertThat(dataset(ours)).containsEntry("type", "chat_template").containsEntry("field_messages", "messages")
                .containsEntry("roles_to_train", List.of("assistant")).containsEntry("chat_template",
                        "tokenizer_default").containsEntry("ds_type", "json");
    }

    @Test
    void full_matchesTheOfficialFullFineTuneExample() throws Exception {
        Map<String, Object> upstream = example("llama-3__fft-8b.yaml");
        JobSpec spec = JobSpec.builder().name("golden").tenant("acme").baseModel("NousResearch/Meta-Llama-3.1-8B")
                .method(TrainingMethod.sftFull())
                .hyperparameters(Hyperparameters.builder().epochs(1).learningRate(2e-5).scheduler(Scheduler.COSINE)
                        .warmupRatio(0.1).batchSize(8).microBatchSize(1).maxSeqLength(8192).weightDecay(0.0)
                        .gradientCheckpointing(true).packing(true).build())
                .trainingData(DatasetRef.of(alpaca(), DatasetFormat.ALPACA)).resources(Resources.gpus(1)).build();
        Map<String, Object> ours = generate(spec, true);
        sameDecisiveKeys(ours, upstream, List.of());
        assertThat(ours).doesNotContainKey("adapter");
        assertThat(ours.get("gradient_checkpointing_kwargs")).isEqualTo(upstream.get("gradient_checkpointing_kwargs"));
    }

    @Test
    void dpoLora_matchesTheOfficialDpoExample() throws Exception {
        Map<String, Object> upstream = example("llama-3__instruct-dpo-lora-8b.yml");
        JobSpec spec = llama3("meta-llama/Meta-Llama-3-8B-Instruct", TrainingMethod.dpo(AdapterType.LORA,
                DpoConfig.defaults()).withLora(rank32()), prefs(), DatasetFormat.PREFERENCE, 4096, false, 2e-4)
                .build();
        Map<String, Object> ours = generate(spec, true);
        sameDecisiveKeys(ours, upstream, List.of("load_in_4bit"));
        Map<String, Object> theirs = ((List<Map<String, Object>>) upstream.get("datasets")).get(0);
        for (String key : List.of("type", "message_property_mappings", "roles")) {
            assertThat(dataset(ours).get(key)).as(key).isEqualTo(theirs.get(key));
        }
        assertThat(dataset(ours)).containsEntry("field_messages", "messages").containsEntry("field_chosen", "chosen")
                .containsEntry("field_rejected", "rejected");
        assertThat(Files.readAllLines(dir.resolve("job-dpo-lora-gpu/data/train.jsonl")).get(0)).isEqualTo(
                "{\"messages\":[{\"role\":\"user\",\"content\":\"Shout: cat\"}],\"chosen\":{\"role\":\"assistant\","
                        + "\"content\":\"CAT\"},\"rejected\":{\"role\":\"assistant\",\"content\":\"cat\"}}");
    }

    @Test
    void onACpu_theKernelsAreOff_attentionIsEager_andNoHalfPrecision() throws Exception {
        JobSpec spec = llama3("/models/tiny", TrainingMethod.sftLora(rank32()), chat(), DatasetFormat.CHAT, 64, false,
                2e-3).resources(Resources.cpu()).build();
        Map<String, Object> ours = generate(spec, false);
        for (String k : List.of("lora_mlp_kernel", "lora_qkv_kernel", "lora_o_kernel", "lora_embedding_kernel",
                "bf16", "fp16", "tf32")) {
            assertThat(ours).as(k).containsEntry(k, false);
        }
        assertThat(ours).containsEntry("attn_implementation", "eager").containsEntry("optimizer", "adamw_torch")
                .containsEntry("plugins", List.of(AxolotlConfig.EVENTS_PLUGIN));
    }

    /** Loads axolotl's schema and checks an empty config, in a JVM of its own, so its log is all there is on stderr. */
    public static final class LoadSchema {
        public static void main(String[] args) {
            System.out.println(AxolotlSchema.problems(new java.util.LinkedHashMap<>()).size());
        }
    }

    @Test
    void loadingAxolotlsSchema_logsNothing() throws Exception {
        Process p = new ProcessBuilder(KitProcess.java(List.of(), LoadSchema.class)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        assertThat(out).as("what loading the schema printed").doesNotContain("WARN").doesNotContain("Unknown keyword");
    }

    @Test
    void aCancelReachesTheTrainerFirst_andTheRegistryDecidesRetention() throws Exception {
        JobSpec spec = llama3("/models/tiny", TrainingMethod.sftLora(rank32()), chat(), DatasetFormat.CHAT, 64, false,
                2e-3).build();
        Map<String, Object> ours = generate(spec, false);
        // axolotl's default (a dataloader worker a GPU) puts a process in the group that a cancel's SIGTERM kills
        // before the trainer saves; measured outside CI: 11 of 12 cancels saved with 0 workers, 0 of 3 with the default
        assertThat(ours).containsEntry("dataloader_num_workers", 0);
        assertThat(ours).as("no rotation by the trainer").doesNotContainKey("save_total_limit");
        assertThat(AxolotlSchema.problems(ours)).isEmpty();
    }

    @Test
    void everyMethod_passesTheSchema() throws Exception {
        for (TrainingMethod m : List.of(TrainingMethod.sftLora(), TrainingMethod.qlora(), TrainingMethod.sftFull(),
                TrainingMethod.dpoLora(), TrainingMethod.dpo(AdapterType.FULL, DpoConfig.defaults()))) {
            boolean dpo = m.objective() == dev.koder.training.api.Objective.DPO;
            JobSpec spec = llama3("/models/tiny", m, dpo ? prefs() : chat(), dpo ? DatasetFormat.PREFERENCE
                    : DatasetFormat.CHAT, 64, false, 1e-4).validationData(DatasetRef.of(dpo ? prefs() : chat(),
                            dpo ? DatasetFormat.PREFERENCE : DatasetFormat.CHAT)).build();
            Map<String, Object> ours = generate(spec, true);
            assertThat(AxolotlSchema.problems(ours)).as(m.label()).isEmpty();
            assertThat(ours).containsKey("test_datasets").containsEntry("val_set_size", 0.0);
        }
    }

    @Test
    void severalGpus_getTheCollectiveTimeout_andFsdpTwo_withinTheSchema() throws Exception {
        JobSpec fsdp = llama3("/models/tiny", TrainingMethod.sftFull(), chat(), DatasetFormat.CHAT, 64, false, 1e-4)
                .resources(Resources.builder().gpus(4).strategy(dev.koder.training.api.Strategy.FSDP).build())
                .hyperparameters(Hyperparameters.builder().epochs(1).batchSize(16).microBatchSize(2)
                        .gradientCheckpointing(true).build()).build();
        Map<String, Object> ours = generate(fsdp, true);
        assertThat(AxolotlSchema.problems(ours)).isEmpty();
        assertThat(ours).containsEntry("fsdp_version", 2).containsEntry("ddp_timeout", 600)
                .containsEntry("gradient_checkpointing", false).doesNotContainKey("gradient_checkpointing_kwargs");
        assertThat(ours.get("fsdp_config")).isEqualTo(Map.of("auto_wrap_policy", "TRANSFORMER_BASED_WRAP",
                "reshard_after_forward", true, "state_dict_type", "FULL_STATE_DICT", "cpu_ram_efficient_loading", false,
                "activation_checkpointing", true));
        JobSpec ddp = llama3("/models/tiny", TrainingMethod.sftLora(), chat(), DatasetFormat.CHAT, 64, false, 1e-4)
                .resources(Resources.builder().gpus(2).strategy(dev.koder.training.api.Strategy.DDP).build()).build();
        Map<String, Object> d = generate(ddp, true);
        assertThat(AxolotlSchema.problems(d)).isEmpty();
        assertThat(d).containsEntry("ddp_find_unused_parameters", false).doesNotContainKey("fsdp_config");
    }

    @Test
    void unknownKeys_atTheTopAndInDatasets_areRefused_asAreTheRulesTheSchemaCannotSay() throws Exception {
        JobSpec spec = llama3("/models/tiny", TrainingMethod.qlora(), chat(), DatasetFormat.CHAT, 64, false, 1e-4)
                .build();
        Map<String, Object> config = new LinkedHashMap<>(generate(spec, true));
        assertThat(AxolotlSchema.problems(config)).isEmpty();
        config.put("lora_rank", 8);
        config.put("load_in_4bit", false);
        config.put("rl", "dpo");
        config.put("sample_packing", true);
        config.put("sequence_len", "long");
        Map<String, Object> ds = new LinkedHashMap<>(dataset(config));
        ds.put("field_mesages", "messages");
        config.put("datasets", List.of(ds));
        assertThat(AxolotlSchema.problems(config)).anySatisfy(p -> assertThat(p).startsWith("lora_rank: not an "
                + "axolotl 0.18.0 key")).anySatisfy(p -> assertThat(p).startsWith("datasets[0].field_mesages"))
                .anySatisfy(p -> assertThat(p).startsWith("load_in_4bit: adapter qlora needs load_in_4bit"))
                .anySatisfy(p -> assertThat(p).startsWith("sample_packing: cannot be used with rl"))
                .anySatisfy(p -> assertThat(p).startsWith("sequence_len"));
    }

    @Test
    void everyDataFormat_becomesWhatAxolotlReads() throws Exception {
        Path pc = data("pc.jsonl", "{\"prompt\":\"Shout: cat\",\"completion\":\"CAT\"}\n");
        Map<String, Object> block = AxolotlData.convert(DatasetRef.of(pc, DatasetFormat.PROMPT_COMPLETION),
                dir.resolve("out/pc.jsonl"), "./pc.jsonl", false);
        assertThat(block).containsEntry("type", "input_output");
        assertThat(Files.readAllLines(dir.resolve("out/pc.jsonl")).get(0)).isEqualTo("{\"segments\":[{\"label\":false,"
                + "\"text\":\"Shout: cat\"},{\"label\":true,\"text\":\"CAT\"}]}");
        Path weighted = data("w.jsonl", "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":"
                + "\"Hi\"}]},{\"role\":\"assistant\",\"content\":\"no\",\"weight\":0},{\"role\":\"user\",\"content\":"
                + "\"Again\"},{\"role\":\"assistant\",\"content\":\"yes\"}]}\n");
        AxolotlData.convert(DatasetRef.of(weighted, DatasetFormat.CHAT), dir.resolve("out/w.jsonl"), "./w.jsonl", false);
        assertThat(Files.readAllLines(dir.resolve("out/w.jsonl")).get(0)).isEqualTo("{\"messages\":[{\"role\":\"user\","
                + "\"content\":\"Hi\",\"training\":false},{\"role\":\"assistant\",\"content\":\"no\",\"training\":false},"
                + "{\"role\":\"user\",\"content\":\"Again\",\"training\":false},{\"role\":\"assistant\",\"content\":"
                + "\"yes\",\"training\":true}]}");
        Path trl = data("trl.jsonl", "{\"prompt\":\"Shout: cat\",\"chosen\":\"CAT\",\"rejected\":\"cat\"}\n");
        AxolotlData.convert(DatasetRef.of(trl, DatasetFormat.PREFERENCE), dir.resolve("out/trl.jsonl"), "./t", true);
        assertThat(Files.readAllLines(dir.resolve("out/trl.jsonl")).get(0)).isEqualTo("{\"messages\":[{\"role\":"
                + "\"user\",\"content\":\"Shout: cat\"}],\"chosen\":{\"role\":\"assistant\",\"content\":\"CAT\"},"
                + "\"rejected\":{\"role\":\"assistant\",\"content\":\"cat\"}}");
        Path broken = data("broken.jsonl", "{\"prompt\":\"x\"}\n");
        assertThatThrownBy(() -> AxolotlData.convert(DatasetRef.of(broken, DatasetFormat.PROMPT_COMPLETION),
                dir.resolve("out/broken.jsonl"), "./b", false)).hasMessageContaining("broken.jsonl:1: /completion");
        assertThat(dir.resolve("out")).isDirectoryNotContaining(p -> p.getFileName().toString().startsWith("broken"));
    }

    @Test
    void anExport_usesPathsThatWorkFromItsFolder() throws Exception {
        JobSpec spec = llama3("/models/tiny", TrainingMethod.sftLora(), chat(), DatasetFormat.CHAT, 64, false, 1e-4)
                .build();
        Path out = dir.resolve("export");
        Map<String, Object> config = AxolotlJob.write(spec, out, out.resolve("output"), null, false, false,
                AxolotlJob.Paths.RELATIVE);
        assertThat(config).containsEntry("output_dir", "./output").containsEntry("dataset_prepared_path", "./prepared");
        assertThat(dataset(config)).containsEntry("path", "./data/train.jsonl");
        assertThat(out.resolve("data/train.jsonl")).exists();
    }
}
