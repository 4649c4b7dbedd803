package dev.koder.training.core.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.koder.training.api.AdapterType;
import dev.koder.training.api.CheckpointPolicy;
import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.DpoConfig;
import dev.koder.training.api.DpoLoss;
import dev.koder.training.api.EmbeddingConfig;
import dev.koder.training.api.EmbeddingLoss;
import dev.koder.training.api.Hyperparameters;
import dev.koder.training.api.InvalidSpecException;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.LoraConfig;
import dev.koder.training.api.Precision;
import dev.koder.training.api.QuantizationConfig;
import dev.koder.training.api.RerankerConfig;
import dev.koder.training.api.RerankerLoss;
import dev.koder.training.api.Resources;
import dev.koder.training.api.RetrievalData;
import dev.koder.training.api.Strategy;
import dev.koder.training.api.Tier;
import dev.koder.training.api.TrainingMethod;
import dev.koder.training.api.Violation;
import dev.koder.training.spi.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.node.ObjectNode;

/**
 * The same mistake, made once through the builder and once in JSON, must give the same violation: same
 * pointer, same sentence. Rows marked {@code schema} must also be caught by the JSON Schema on its own, which
 * keeps the shipped schema from drifting away from the Java rules.
 */
class SpecViolationTableTest {

    static final String VALID = "{"
            + "\"name\":\"support-bot\",\"tenant\":\"acme\",\"tier\":\"pro\",\"base_model\":\"org/model\","
            + "\"method\":{\"objective\":\"sft\",\"adapter\":\"lora\",\"lora\":{\"rank\":16}},"
            + "\"hyperparameters\":{\"epochs\":2,\"learning_rate\":0.0002},"
            + "\"training_data\":{\"path\":\"/data/train.jsonl\",\"format\":\"chat\"},"
            + "\"resources\":{\"gpus\":1}}";

    static JobSpec.Builder validBuilder() {
        return JobSpec.builder().name("support-bot").tenant("acme").tier(Tier.PRO).baseModel("org/model")
                .method(TrainingMethod.sftLora(LoraConfig.builder().rank(16).build()))
                .hyperparameters(Hyperparameters.builder().epochs(2).learningRate(2e-4).build())
                .trainingData(DatasetRef.of("/data/train.jsonl", DatasetFormat.CHAT))
                .resources(Resources.gpus(1));
    }

    record Row(String name, Consumer<ObjectNode> json, UnaryOperator<JobSpec.Builder> builder, String pointer,
            String message, boolean schema) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Row row(String name, Consumer<ObjectNode> json, UnaryOperator<JobSpec.Builder> builder, String pointer,
            String message) {
        return new Row(name, json, builder, pointer, message, true);
    }

    /** A rule across fields: the schema cannot point at it, the SDK's own checks must. */
    static Row crossField(String name, Consumer<ObjectNode> json, UnaryOperator<JobSpec.Builder> builder,
            String pointer, String message) {
        return new Row(name, json, builder, pointer, message, false);
    }

    static Consumer<ObjectNode> set(String pointer, String jsonValue) {
        return root -> {
            int cut = pointer.lastIndexOf('/');
            ObjectNode parent = cut == 0 ? root : (ObjectNode) root.at(pointer.substring(0, cut));
            parent.set(pointer.substring(cut + 1), Json.MAPPER.readTree(jsonValue));
        };
    }

    static Consumer<ObjectNode> remove(String pointer) {
        return root -> {
            int cut = pointer.lastIndexOf('/');
            ObjectNode parent = cut == 0 ? root : (ObjectNode) root.at(pointer.substring(0, cut));
            parent.remove(pointer.substring(cut + 1));
        };
    }

    @SafeVarargs
    static Consumer<ObjectNode> all(Consumer<ObjectNode>... steps) {
        return root -> {
            for (Consumer<ObjectNode> s : steps) {
                s.accept(root);
            }
        };
    }

    static UnaryOperator<JobSpec.Builder> lora(LoraConfig.Builder lora) {
        return b -> b.method(TrainingMethod.sftLora(lora.build()));
    }

    static UnaryOperator<JobSpec.Builder> hp(UnaryOperator<Hyperparameters.Builder> h) {
        return b -> b.hyperparameters(h.apply(Hyperparameters.builder().epochs(2).learningRate(2e-4)).build());
    }

    static UnaryOperator<JobSpec.Builder> resources(Resources r) {
        return b -> b.resources(r);
    }

    static final String DPO_METHOD = "{\"objective\":\"dpo\",\"adapter\":\"lora\"}";
    static final String PREFERENCE = "{\"path\":\"/data/pairs.jsonl\",\"format\":\"preference\"}";

    static UnaryOperator<JobSpec.Builder> dpo(DpoConfig config) {
        return b -> b.method(TrainingMethod.dpo(AdapterType.LORA, config))
                .trainingData(DatasetRef.of("/data/pairs.jsonl", DatasetFormat.PREFERENCE));
    }

    static final String PAIRS = "{\"path\":\"/data/pairs.jsonl\",\"format\":\"pairs\"}";
    static final String GROUPS = "{\"path\":\"/data/groups.jsonl\",\"format\":\"groups\"}";
    static final String SCORED = "{\"path\":\"/data/scored.jsonl\",\"format\":\"scored-pairs\"}";

    /** An embedding job on pairs data, its method's JSON given. */
    static Consumer<ObjectNode> embeddingJson(String method) {
        return all(set("/method", method), set("/training_data", PAIRS));
    }

    static UnaryOperator<JobSpec.Builder> embedding(TrainingMethod method) {
        return b -> b.method(method).trainingData(DatasetRef.of("/data/pairs.jsonl", DatasetFormat.PAIRS));
    }

    static UnaryOperator<JobSpec.Builder> reranker(TrainingMethod method, String path, DatasetFormat format) {
        return b -> b.method(method).trainingData(DatasetRef.of(path, format));
    }

    static Stream<Row> encoderRows() {
        return Stream.of(
                crossField("embedding on chat data", set("/method", "{\"objective\":\"embedding\",\"adapter\":"
                        + "\"lora\"}"), b -> b.method(TrainingMethod.embeddingLora()), "/training_data/format",
                        "objective embedding needs pairs data, got chat"),
                crossField("sft on pairs data", set("/training_data", PAIRS),
                        b -> b.trainingData(DatasetRef.of("/data/pairs.jsonl", DatasetFormat.PAIRS)),
                        "/training_data/format", "objective sft takes chat, prompt-completion or alpaca data, got pairs"),
                crossField("reranker on pairs data", all(set("/method", "{\"objective\":\"reranker\",\"adapter\":"
                        + "\"full\"}"), set("/training_data", PAIRS)), reranker(TrainingMethod.reranker(
                        AdapterType.FULL), "/data/pairs.jsonl", DatasetFormat.PAIRS), "/training_data/format",
                        "objective reranker takes scored-pairs or groups data, got pairs"),
                crossField("qlora embedding", embeddingJson("{\"objective\":\"embedding\",\"adapter\":\"qlora\"}"),
                        embedding(TrainingMethod.embedding(AdapterType.QLORA, EmbeddingConfig.defaults())),
                        "/method/adapter", "objective embedding trains with adapter full or lora: the pinned "
                                + "sentence-transformers loads encoders without 4-bit quantisation (and encoders are "
                                + "small enough to train in bf16), got qlora"),
                crossField("mini batch without the cached loss", embeddingJson("{\"objective\":\"embedding\","
                        + "\"adapter\":\"lora\",\"embedding\":{\"mini_batch_size\":16}}"),
                        embedding(TrainingMethod.embedding(AdapterType.LORA, new EmbeddingConfig(null, 16, null, null))),
                        "/method/embedding/mini_batch_size",
                        "only applies to loss cached_multiple_negatives_ranking, got the default "
                                + "multiple_negatives_ranking"),
                row("mini batch 0", embeddingJson("{\"objective\":\"embedding\",\"adapter\":\"lora\","
                        + "\"embedding\":{\"loss\":\"cached_multiple_negatives_ranking\",\"mini_batch_size\":0}}"),
                        embedding(TrainingMethod.embedding(AdapterType.LORA, new EmbeddingConfig(
                                EmbeddingLoss.CACHED_MULTIPLE_NEGATIVES_RANKING, 0, null, null))),
                        "/method/embedding/mini_batch_size", "must be between 1 and 4096, got 0"),
                crossField("matryoshka sizes growing", embeddingJson("{\"objective\":\"embedding\",\"adapter\":"
                        + "\"lora\",\"embedding\":{\"matryoshka_dims\":[64,128]}}"),
                        embedding(TrainingMethod.embedding(AdapterType.LORA, EmbeddingConfig.defaults()
                                .withMatryoshkaDims(List.of(64, 128)))), "/method/embedding/matryoshka_dims/1",
                        "sizes go from the largest down, each smaller than the one before: 64 then 128"),
                row("matryoshka size 4", embeddingJson("{\"objective\":\"embedding\",\"adapter\":\"lora\","
                        + "\"embedding\":{\"matryoshka_dims\":[4]}}"),
                        embedding(TrainingMethod.embedding(AdapterType.LORA, EmbeddingConfig.defaults()
                                .withMatryoshkaDims(List.of(4)))), "/method/embedding/matryoshka_dims/0",
                        "must be between 8 and 16384, got 4"),
                crossField("embedding block on a reranker", all(set("/method", "{\"objective\":\"reranker\","
                        + "\"adapter\":\"full\",\"embedding\":{}}"), set("/training_data", GROUPS)),
                        reranker(TrainingMethod.reranker(AdapterType.FULL).withEmbedding(EmbeddingConfig.defaults()),
                                "/data/groups.jsonl", DatasetFormat.GROUPS), "/method/embedding",
                        "only applies to objective embedding, got reranker"),
                crossField("listwise loss on scored pairs", all(set("/method", "{\"objective\":\"reranker\","
                        + "\"adapter\":\"full\",\"reranker\":{\"loss\":\"listnet\"}}"), set("/training_data", SCORED)),
                        reranker(TrainingMethod.reranker(AdapterType.FULL, RerankerConfig.of(RerankerLoss.LISTNET)),
                                "/data/scored.jsonl", DatasetFormat.SCORED_PAIRS), "/method/reranker/loss",
                        "loss listnet ranks a query's candidates together and needs groups data, got scored-pairs; "
                                + "use binary_cross_entropy for scored-pairs"),
                crossField("merged copy of a full reranker", all(set("/method", "{\"objective\":\"reranker\","
                        + "\"adapter\":\"full\",\"reranker\":{\"merged_copy\":true}}"), set("/training_data", GROUPS)),
                        reranker(TrainingMethod.reranker(AdapterType.FULL, new RerankerConfig(null, true)),
                                "/data/groups.jsonl", DatasetFormat.GROUPS), "/method/reranker/merged_copy",
                        "only applies to adapter lora (the output is then the adapter, and the merged copy a whole "
                                + "model), got full"),
                crossField("retrieval data on sft", set("/retrieval_data", "{\"path\":\"/data/retrieval\"}"),
                        b -> b.retrievalData(RetrievalData.folder("/data/retrieval")), "/retrieval_data",
                        "only applies to objectives embedding and reranker, got sft"),
                crossField("retrieval folder and files", all(embeddingJson("{\"objective\":\"embedding\","
                        + "\"adapter\":\"lora\"}"), set("/retrieval_data", "{\"path\":\"/data/retrieval\","
                        + "\"queries\":\"/q.jsonl\",\"corpus\":\"/c.jsonl\",\"judgements\":\"/j.jsonl\"}")),
                        b -> embedding(TrainingMethod.embeddingLora()).apply(b).retrievalData(new RetrievalData(
                                "/data/retrieval", "/q.jsonl", "/c.jsonl", "/j.jsonl")), "/retrieval_data",
                        "name either a folder (path) or the three files (queries, corpus, judgements), not both"),
                crossField("packing on embedding", all(embeddingJson("{\"objective\":\"embedding\",\"adapter\":"
                        + "\"lora\"}"), set("/hyperparameters/packing", "true")),
                        b -> embedding(TrainingMethod.embeddingLora()).apply(b).hyperparameters(Hyperparameters
                                .builder().epochs(2).learningRate(2e-4).packing(true).build()),
                        "/hyperparameters/packing", "only applies to objective sft, got embedding"));
    }

    static Stream<Row> rows() {
        return Stream.concat(languageModelRows(), encoderRows());
    }

    static Stream<Row> languageModelRows() {
        Map<String, String> many = new LinkedHashMap<>();
        StringBuilder manyJson = new StringBuilder("{");
        for (int i = 0; i < 17; i++) {
            many.put("k" + i, "v");
            manyJson.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":\"v\"");
        }
        manyJson.append('}');
        String longValue = "x".repeat(600);
        String longName = "a".repeat(65);
        return Stream.of(
                row("name missing", remove("/name"), b -> b.name(null), "/name", "is required"),
                row("name with spaces", set("/name", "\"my job!\""), b -> b.name("my job!"), "/name",
                        "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit, got \"my job!\""),
                row("name too long", set("/name", "\"" + longName + "\""), b -> b.name(longName), "/name",
                        "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit, got \""
                                + longName + "\""),
                row("tenant missing", remove("/tenant"), b -> b.tenant(null), "/tenant", "is required"),
                row("tenant starts with dash", set("/tenant", "\"-acme\""), b -> b.tenant("-acme"), "/tenant",
                        "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit, got \"-acme\""),
                row("base model missing", remove("/base_model"), b -> b.baseModel(null), "/base_model", "is required"),
                row("base model neither id nor path", set("/base_model", "\"my model\""), b -> b.baseModel("my model"),
                        "/base_model", "must be a Hugging Face model id (org/name) or a local folder (starting with /, "
                                + "./, ../ or ~/), got \"my model\""),
                row("method missing", remove("/method"), b -> b.method(null), "/method", "is required"),
                row("rank 0", set("/method/lora/rank", "0"), lora(LoraConfig.builder().rank(0)), "/method/lora/rank",
                        "must be between 1 and 1024, got 0"),
                row("rank 2000", set("/method/lora/rank", "2000"), lora(LoraConfig.builder().rank(2000)),
                        "/method/lora/rank", "must be between 1 and 1024, got 2000"),
                row("alpha 0", set("/method/lora/alpha", "0"), lora(LoraConfig.builder().rank(16).alpha(0)),
                        "/method/lora/alpha", "must be between 1 and 4096, got 0"),
                row("dropout 1", set("/method/lora/dropout", "1.0"), lora(LoraConfig.builder().rank(16).dropout(1.0)),
                        "/method/lora/dropout", "must be at least 0 and less than 1, got 1"),
                row("dropout negative", set("/method/lora/dropout", "-0.1"),
                        lora(LoraConfig.builder().rank(16).dropout(-0.1)), "/method/lora/dropout",
                        "must be at least 0 and less than 1, got -0.1"),
                row("no target modules", set("/method/lora/target_modules", "[]"),
                        lora(LoraConfig.builder().rank(16).targetModules(List.of())), "/method/lora/target_modules",
                        "must list between 1 and 64 modules, got 0"),
                row("module name with space", set("/method/lora/target_modules", "[\"q proj\"]"),
                        lora(LoraConfig.builder().rank(16).targetModules("q proj")), "/method/lora/target_modules/0",
                        "must be a module name of 1-128 letters, digits, '_', '.', '*' or '-', got \"q proj\""),
                crossField("all-linear with others", set("/method/lora/target_modules", "[\"all-linear\",\"q_proj\"]"),
                        lora(LoraConfig.builder().rank(16).targetModules("all-linear", "q_proj")),
                        "/method/lora/target_modules", "\"all-linear\" must be the only entry"),
                crossField("duplicate module", set("/method/lora/target_modules", "[\"q_proj\",\"q_proj\"]"),
                        lora(LoraConfig.builder().rank(16).targetModules("q_proj", "q_proj")),
                        "/method/lora/target_modules/1", "duplicate module \"q_proj\""),
                crossField("lora block on full", set("/method/adapter", "\"full\""),
                        b -> b.method(TrainingMethod.sftFull().withLora(LoraConfig.builder().rank(16).build())),
                        "/method/lora", "only applies to adapter lora or qlora, got full"),
                crossField("quantization on lora", set("/method/quantization", "{\"type\":\"nf4\"}"),
                        b -> b.method(TrainingMethod.sftLora(LoraConfig.builder().rank(16).build())
                                .withQuantization(new QuantizationConfig(dev.koder.training.api.QuantType.NF4, null, null))),
                        "/method/quantization", "only applies to adapter qlora, got lora"),
                crossField("dpo block on sft", set("/method/dpo", "{\"beta\":0.1}"),
                        b -> b.method(TrainingMethod.sftLora(LoraConfig.builder().rank(16).build())
                                .withDpo(new DpoConfig(0.1, null))),
                        "/method/dpo", "only applies to objective dpo, got sft"),
                row("beta 0", all(set("/method", DPO_METHOD), set("/method/dpo", "{\"beta\":0}"),
                        set("/training_data", PREFERENCE)), dpo(new DpoConfig(0.0, null)), "/method/dpo/beta",
                        "must be greater than 0 and at most 10, got 0"),
                row("beta 11", all(set("/method", DPO_METHOD), set("/method/dpo", "{\"beta\":11}"),
                        set("/training_data", PREFERENCE)), dpo(new DpoConfig(11.0, DpoLoss.IPO)),
                        "/method/dpo/beta", "must be greater than 0 and at most 10, got 11"),
                row("qlora compute dtype auto", all(set("/method/adapter", "\"qlora\""),
                        set("/method/quantization", "{\"compute_dtype\":\"auto\"}")),
                        b -> b.method(TrainingMethod.qlora(LoraConfig.builder().rank(16).build(),
                                new QuantizationConfig(null, null, Precision.AUTO))),
                        "/method/quantization/compute_dtype", "must be one of bf16, fp16, fp32, got \"auto\""),
                row("epochs 0", set("/hyperparameters/epochs", "0"), hp(h -> h.epochs(0)), "/hyperparameters/epochs",
                        "must be between 1 and 100, got 0"),
                row("epochs 101", set("/hyperparameters/epochs", "101"), hp(h -> h.epochs(101)),
                        "/hyperparameters/epochs", "must be between 1 and 100, got 101"),
                crossField("epochs and max steps", set("/hyperparameters/max_steps", "100"), hp(h -> h.maxSteps(100)),
                        "/hyperparameters/max_steps", "set either epochs or max_steps, not both"),
                row("learning rate 0", set("/hyperparameters/learning_rate", "0"), hp(h -> h.learningRate(0)),
                        "/hyperparameters/learning_rate", "must be greater than 0 and at most 1, got 0"),
                row("learning rate 1.5", set("/hyperparameters/learning_rate", "1.5"), hp(h -> h.learningRate(1.5)),
                        "/hyperparameters/learning_rate", "must be greater than 0 and at most 1, got 1.5"),
                row("warmup ratio 1.5", set("/hyperparameters/warmup_ratio", "1.5"), hp(h -> h.warmupRatio(1.5)),
                        "/hyperparameters/warmup_ratio", "must be at least 0 and less than 1, got 1.5"),
                crossField("warmup ratio and steps", all(set("/hyperparameters/warmup_ratio", "0.1"),
                        set("/hyperparameters/warmup_steps", "10")), hp(h -> h.warmupRatio(0.1).warmupSteps(10)),
                        "/hyperparameters/warmup_steps", "set either warmup_ratio or warmup_steps, not both"),
                crossField("batch not a multiple", set("/hyperparameters/batch_size", "10"), hp(h -> h.batchSize(10)),
                        "/hyperparameters/batch_size",
                        "must be a multiple of micro_batch_size x GPUs = 4 x 1 = 4, got 10"),
                crossField("accumulation disagrees with batch", all(set("/hyperparameters/batch_size", "16"),
                        set("/hyperparameters/gradient_accumulation_steps", "2")),
                        hp(h -> h.batchSize(16).gradientAccumulationSteps(2)),
                        "/hyperparameters/gradient_accumulation_steps",
                        "must be 4 for batch_size 16 with micro_batch_size x GPUs = 4 x 1, got 2"),
                row("sequence length 8", set("/hyperparameters/max_seq_length", "8"), hp(h -> h.maxSeqLength(8)),
                        "/hyperparameters/max_seq_length", "must be between 16 and 1048576, got 8"),
                row("weight decay 2", set("/hyperparameters/weight_decay", "2"), hp(h -> h.weightDecay(2)),
                        "/hyperparameters/weight_decay", "must be between 0 and 1, got 2"),
                row("grad norm 0", set("/hyperparameters/max_grad_norm", "0"), hp(h -> h.maxGradNorm(0)),
                        "/hyperparameters/max_grad_norm", "must be greater than 0 and at most 1000, got 0"),
                row("seed negative", set("/hyperparameters/seed", "-1"), hp(h -> h.seed(-1)), "/hyperparameters/seed",
                        "must be between 0 and 2147483647, got -1"),
                crossField("packing with dpo", all(set("/method", DPO_METHOD), set("/training_data", PREFERENCE),
                        set("/hyperparameters/packing", "true")),
                        b -> dpo(new DpoConfig(null, null)).apply(hp(h -> h.packing(true)).apply(b)),
                        "/hyperparameters/packing", "only applies to objective sft, got dpo"),
                crossField("fp16 on cpu", all(set("/resources/gpus", "0"), set("/hyperparameters/precision", "\"fp16\"")),
                        b -> hp(h -> h.precision(Precision.FP16)).apply(b).resources(Resources.cpu()),
                        "/hyperparameters/precision", "fp16 needs a GPU; use auto, bf16 or fp32 on CPU"),
                row("training data missing", remove("/training_data"), b -> b.trainingData(null), "/training_data",
                        "is required"),
                row("training path empty", set("/training_data/path", "\"  \""),
                        b -> b.trainingData(DatasetRef.of("  ", DatasetFormat.CHAT)), "/training_data/path",
                        "must not be empty"),
                crossField("sft on preference data", set("/training_data/format", "\"preference\""),
                        b -> b.trainingData(DatasetRef.of("/data/train.jsonl", DatasetFormat.PREFERENCE)),
                        "/training_data/format", "objective sft takes chat, prompt-completion or alpaca data, got preference"),
                crossField("dpo on chat data", set("/method", DPO_METHOD),
                        b -> b.method(TrainingMethod.dpoLora()), "/training_data/format",
                        "objective dpo needs preference data, got chat"),
                crossField("validation format differs", set("/validation_data", "{\"path\":\"/v.jsonl\",\"format\":\"alpaca\"}"),
                        b -> b.validationData(DatasetRef.of("/v.jsonl", DatasetFormat.ALPACA)), "/validation_data/format",
                        "must match the training data's format chat, got alpaca"),
                row("65 gpus", set("/resources/gpus", "65"), resources(Resources.gpus(65)), "/resources/gpus",
                        "must be between 0 and 64, got 65"),
                row("negative gpus", set("/resources/gpus", "-1"), resources(Resources.gpus(-1)), "/resources/gpus",
                        "must be between 0 and 64, got -1"),
                crossField("gpu type on cpu", set("/resources", "{\"gpus\":0,\"gpu_type\":\"H100\"}"),
                        resources(Resources.builder().gpus(0).gpuType("H100").build()), "/resources/gpu_type",
                        "only applies when gpus is at least 1"),
                crossField("qlora on cpu", all(set("/method/adapter", "\"qlora\""), set("/resources/gpus", "0")),
                        b -> b.method(TrainingMethod.qlora(LoraConfig.builder().rank(16).build(),
                                new QuantizationConfig(null, null, null))).resources(Resources.cpu()),
                        "/resources/gpus", "qlora needs a GPU (4-bit bitsandbytes kernels run on CUDA only), got 0"),
                crossField("fsdp on cpu", set("/resources", "{\"gpus\":0,\"strategy\":\"fsdp\"}"),
                        resources(Resources.builder().gpus(0).strategy(Strategy.FSDP).build()), "/resources/strategy",
                        "fsdp shards over GPUs and needs gpus of at least 2, got 0"),
                crossField("qlora with fsdp", all(set("/method/adapter", "\"qlora\""),
                        set("/resources", "{\"gpus\":2,\"strategy\":\"fsdp\"}")),
                        b -> b.method(TrainingMethod.qlora(LoraConfig.builder().rank(16).build(),
                                new QuantizationConfig(null, null, null))).resources(Resources.builder().gpus(2)
                                .strategy(Strategy.FSDP).build()),
                        "/resources/strategy", "fsdp does not shard 4-bit weights: use ddp (or auto) with qlora"),
                row("gpu memory 0", set("/resources/min_gpu_memory_gib", "0"),
                        resources(Resources.builder().gpus(1).minGpuMemoryGib(0).build()),
                        "/resources/min_gpu_memory_gib", "must be between 1 and 4096, got 0"),
                row("runtime 0", set("/resources/max_runtime_minutes", "0"),
                        resources(Resources.builder().gpus(1).maxRuntimeMinutes(0).build()),
                        "/resources/max_runtime_minutes", "must be between 1 and 43200, got 0"),
                row("runner upper case", set("/runner", "\"TRL\""), b -> b.runner("TRL"), "/runner",
                        "must be 1-32 lower-case letters, digits or '-', starting with a letter, got \"TRL\""),
                row("keep 0 checkpoints", set("/checkpoints", "{\"keep_last\":0}"),
                        b -> b.checkpoints(CheckpointPolicy.perEpoch(0)), "/checkpoints/keep_last",
                        "must be between 1 and 100, got 0"),
                row("checkpoint every 0 steps", set("/checkpoints", "{\"every_steps\":0,\"keep_last\":2}"),
                        b -> b.checkpoints(CheckpointPolicy.everySteps(0, 2)), "/checkpoints/every_steps",
                        "must be between 1 and 10000000, got 0"),
                row("17 metadata entries", set("/metadata", manyJson.toString()), b -> b.metadata(many), "/metadata",
                        "must have at most 16 entries, got 17"),
                row("metadata key with space", set("/metadata", "{\"bad key\":\"v\"}"), b -> b.metadata("bad key", "v"),
                        "/metadata/bad key", "must be keyed by 1-64 letters, digits, '_', '.' or '-', got \"bad key\""),
                row("metadata value too long", set("/metadata", "{\"k\":\"" + longValue + "\"}"),
                        b -> b.metadata("k", longValue), "/metadata/k", "must be at most 512 characters, got 600"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void builderAndJson_reportTheSameViolation(Row row) {
        Violation expected = new Violation(row.pointer(), row.message());

        assertThatThrownBy(() -> row.builder().apply(validBuilder()).build())
                .isInstanceOfSatisfying(InvalidSpecException.class,
                        e -> assertThat(e.violations()).containsExactly(expected));

        ObjectNode json = (ObjectNode) Json.MAPPER.readTree(VALID);
        row.json().accept(json);
        String text = Json.write(json);
        assertThat(JobSpecJson.violations(text)).containsExactly(expected);

        List<String> schemaPointers = new ArrayList<>();
        JobSpecJson.schemaViolations(text).forEach(v -> schemaPointers.add(v.pointer()));
        if (row.schema()) {
            assertThat(schemaPointers).as("the JSON Schema alone flags %s", row.pointer()).contains(row.pointer());
        } else {
            assertThat(schemaPointers).as("a cross-field rule the schema leaves to the SDK").isEmpty();
        }
    }

    @Test
    void theTableHasAtLeastThirtyRows_andItsBaseIsValidBothWays() {
        assertThat(rows().count()).isGreaterThanOrEqualTo(30);
        assertThat(JobSpecJson.violations(VALID)).isEmpty();
        assertThat(JobSpecJson.parse(VALID)).isEqualTo(validBuilder().build());
    }
}
