package dev.koder.training.core.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.koder.training.api.InvalidSpecException;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.Violation;
import dev.koder.training.spi.Json;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

class JobSpecJsonTest {

    static final String VALID = SpecViolationTableTest.VALID;

    static String with(String from, String to) {
        assertThat(VALID).contains(from);
        return VALID.replace(from, to);
    }

    @Test
    void autoValues_readAndWriteAsAuto_andOthersAreStillChecked() {
        JobSpec spec = JobSpecJson.parse(with("\"epochs\":2", "\"epochs\":2,\"micro_batch_size\":\"auto\","
                + "\"batch_size\":32,\"gradient_checkpointing\":\"auto\""));
        assertThat(spec.hyperparameters().autoMicroBatch()).isTrue();
        assertThat(spec.hyperparameters().autoGradientCheckpointing()).isTrue();
        assertThat(spec.hyperparameters().batchSize()).isEqualTo(32);
        JsonNode written = Json.MAPPER.readTree(JobSpecJson.write(spec)).get("hyperparameters");
        assertThat(written.get("micro_batch_size").asString()).isEqualTo("auto");
        assertThat(written.get("gradient_checkpointing").asString()).isEqualTo("auto");
        assertThat(JobSpecJson.parse(JobSpecJson.write(spec))).isEqualTo(spec);
        assertThat(JobSpecJson.parse(VALID).hyperparameters().autoGradientCheckpointing()).as("the default").isTrue();
        assertThat(JobSpecJson.parse(with("\"epochs\":2", "\"epochs\":2,\"gradient_checkpointing\":false"))
                .hyperparameters().gradientCheckpointing()).isFalse();
        assertThat(JobSpecJson.violations(with("\"epochs\":2", "\"epochs\":2,\"micro_batch_size\":\"big\"")))
                .containsExactly(new Violation("/hyperparameters/micro_batch_size",
                        "must be an integer or \"auto\", got string \"big\""));
        assertThat(JobSpecJson.violations(with("\"epochs\":2", "\"epochs\":2,\"micro_batch_size\":0")))
                .singleElement().satisfies(v -> assertThat(v.pointer()).isEqualTo("/hyperparameters/micro_batch_size"));
    }

    @Test
    void unknownKey_isAnError_withTheClosestKnownKey() {
        String json = with("\"learning_rate\"", "\"lerning_rate\"");
        assertThat(JobSpecJson.violations(json)).containsExactly(
                new Violation("/hyperparameters/lerning_rate", "unknown key; did you mean \"learning_rate\"?"));
    }

    @Test
    void unknownKey_farFromAnyKnownOne_listsTheKnownKeys() {
        String json = with("\"tier\":\"pro\",", "\"tier\":\"pro\",\"colour\":\"blue\",");
        assertThat(JobSpecJson.violations(json)).singleElement()
                .satisfies(v -> assertThat(v.pointer()).isEqualTo("/colour"))
                .satisfies(v -> assertThat(v.message()).startsWith("unknown key; known keys: name, tenant, tier"));
    }

    @Test
    void wrongTypes_sayWhatWasExpectedAndWhatCame() {
        assertThat(JobSpecJson.violations(with("\"rank\":16", "\"rank\":\"16\""))).containsExactly(
                new Violation("/method/lora/rank", "must be an integer, got string \"16\""));
        assertThat(JobSpecJson.violations(with("\"rank\":16", "\"rank\":16.5"))).containsExactly(
                new Violation("/method/lora/rank", "must be an integer, got number 16.5"));
        assertThat(JobSpecJson.violations(with("\"resources\":{\"gpus\":1}", "\"resources\":null"))).containsExactly(
                new Violation("/resources", "must be an object, got null"));
    }

    @Test
    void unknownEnumValue_listsTheAllowedOnes() {
        assertThat(JobSpecJson.violations(with("\"objective\":\"sft\"", "\"objective\":\"ppo\""))).containsExactly(
                new Violation("/method/objective", "must be one of sft, dpo, embedding, reranker, got \"ppo\""));
        assertThat(JobSpecJson.violations(with("\"tier\":\"pro\"", "\"tier\":\"gold\""))).containsExactly(
                new Violation("/tier", "must be one of enterprise, pro, free, got \"gold\""));
    }

    @Test
    void integerBeyondJavaRange_isReportedAsOutOfRange() {
        assertThat(JobSpecJson.violations(with("\"rank\":16", "\"rank\":99999999999"))).containsExactly(
                new Violation("/method/lora/rank", "must be between 1 and 1024, got 99999999999"));
    }

    @Test
    void brokenJson_namesLineAndColumn() {
        List<Violation> v = JobSpecJson.violations("{\n  \"name\": \"a\",\n  \"tenant\" \"acme\"\n}");
        assertThat(v).singleElement().satisfies(x -> {
            assertThat(x.pointer()).isEmpty();
            assertThat(x.message()).startsWith("line 3, column 12: not valid JSON");
        });
    }

    @Test
    void duplicateKeys_areRejected() {
        assertThat(JobSpecJson.violations(with("\"tenant\":\"acme\"", "\"tenant\":\"acme\",\"tenant\":\"other\"")))
                .singleElement().satisfies(x -> assertThat(x.message()).contains("Duplicate Object property \"tenant\""));
    }

    @Test
    void notAnObject_orEmpty_isOneClearViolation() {
        assertThat(JobSpecJson.violations("[1,2]")).containsExactly(new Violation("", "must be an object, got an array"));
        assertThat(JobSpecJson.violations("")).containsExactly(new Violation("", "the document is empty"));
    }

    @Test
    void severalMistakes_areAllReported_inDocumentOrder() {
        String json = VALID.replace("\"name\":\"support-bot\",", "").replace("\"rank\":16", "\"rank\":0,\"rnak\":1")
                .replace("\"epochs\":2", "\"epochs\":0").replace("\"gpus\":1", "\"gpus\":\"one\"");
        assertThat(JobSpecJson.violations(json)).containsExactly(
                new Violation("/name", "is required"),
                new Violation("/method/lora/rank", "must be between 1 and 1024, got 0"),
                new Violation("/method/lora/rnak", "unknown key; did you mean \"rank\"?"),
                new Violation("/hyperparameters/epochs", "must be between 1 and 100, got 0"),
                new Violation("/resources/gpus", "must be an integer, got string \"one\""));
        assertThatThrownBy(() -> JobSpecJson.parse(json)).isInstanceOf(InvalidSpecException.class)
                .hasMessageStartingWith("Invalid job spec (5 problems):\n  /name: is required\n");
    }

    @Test
    void writeThenRead_givesTheSameSpec_withEveryDefaultFilledIn() {
        JobSpec spec = JobSpecJson.parse(VALID);
        String written = JobSpecJson.write(spec);
        assertThat(JobSpecJson.parse(written)).isEqualTo(spec);
        JsonNode tree = Json.MAPPER.readTree(written);
        assertThat(tree.at("/method/lora/alpha").asInt()).isEqualTo(32);
        assertThat(tree.at("/hyperparameters/scheduler").asString()).isEqualTo("cosine");
        assertThat(tree.at("/hyperparameters/gradient_accumulation_steps").asInt()).isEqualTo(1);
        assertThat(tree.at("/checkpoints/keep_last").asInt()).isEqualTo(2);
    }

    @Test
    void schemaDefaults_matchTheDefaultsTheSdkFillsIn() throws Exception {
        JsonNode schema;
        try (InputStream in = JobSpec.class.getResourceAsStream(JobSpec.SCHEMA_RESOURCE)) {
            schema = Json.MAPPER.readTree(in);
        }
        List<JsonNode> resolved = List.of(
                Json.MAPPER.readTree(JobSpecJson.write(JobSpecJson.parse(VALID.replace(",\"tier\":\"pro\"", "")
                        .replace("\"tier\":\"pro\",", "").replace(",\"resources\":{\"gpus\":1}", "")))),
                Json.MAPPER.readTree(JobSpecJson.write(JobSpecJson.parse(
                        with("\"adapter\":\"lora\"", "\"adapter\":\"qlora\"")))),
                Json.MAPPER.readTree(JobSpecJson.write(JobSpecJson.parse(with("\"objective\":\"sft\"",
                        "\"objective\":\"dpo\"").replace("\"format\":\"chat\"", "\"format\":\"preference\"")))),
                Json.MAPPER.readTree(JobSpecJson.write(JobSpecJson.parse(with("\"objective\":\"sft\"",
                        "\"objective\":\"embedding\"").replace("\"format\":\"chat\"", "\"format\":\"pairs\"")))),
                Json.MAPPER.readTree(JobSpecJson.write(JobSpecJson.parse(with("\"objective\":\"sft\"",
                        "\"objective\":\"reranker\"").replace("\"format\":\"chat\"",
                        "\"format\":\"scored-pairs\"")))));
        List<String> checked = new ArrayList<>();
        collectDefaults(schema.get("properties"), "", (pointer, value) -> {
            JsonNode found = resolved.stream().map(r -> r.at(pointer)).filter(n -> !n.isMissingNode()).findFirst()
                    .orElseThrow(() -> new AssertionError("no resolved spec has " + pointer));
            assertThat(found).as(pointer).isEqualTo(value);
            checked.add(pointer);
        });
        assertThat(checked).contains("/tier", "/method/lora/rank", "/method/quantization/type", "/method/dpo/beta",
                "/method/embedding/loss", "/method/reranker/merged_copy", "/hyperparameters/micro_batch_size",
                "/resources/gpus", "/checkpoints/keep_last");
    }

    interface DefaultVisitor {
        void visit(String pointer, JsonNode value);
    }

    static void collectDefaults(JsonNode properties, String at, DefaultVisitor visitor) {
        for (Map.Entry<String, JsonNode> e : properties.properties()) {
            String pointer = at + "/" + e.getKey();
            if (e.getValue().has("default")) {
                JsonNode d = e.getValue().get("default");
                visitor.visit(pointer, d.isIntegralNumber() && e.getValue().path("type").asString().equals("number")
                        ? Json.MAPPER.getNodeFactory().numberNode(d.asDouble()) : d);
            }
            if (e.getValue().has("properties")) {
                collectDefaults(e.getValue().get("properties"), pointer, visitor);
            }
        }
    }

    @Test
    void readingAFile_resolvesRelativePathsAgainstItsFolder(@TempDir Path dir) throws Exception {
        Path spec = dir.resolve("specs/job.json");
        Files.createDirectories(spec.getParent());
        Files.writeString(spec, VALID.replace("/data/train.jsonl", "../data/train.jsonl")
                .replace("\"org/model\"", "\"./models/tiny\""));
        JobSpec read = JobSpecJson.read(spec);
        assertThat(read.trainingData().path()).isEqualTo(dir.resolve("data/train.jsonl").toString());
        assertThat(read.baseModel()).isEqualTo(dir.resolve("specs/models/tiny").toString());

        // a retrieval set's folder, or its three files, the same way
        String embedding = VALID.replace("\"objective\":\"sft\"", "\"objective\":\"embedding\"")
                .replace("\"format\":\"chat\"", "\"format\":\"pairs\"");
        Files.writeString(spec, embedding.replace("{\"gpus\":1}}",
                "{\"gpus\":1},\"retrieval_data\":{\"path\":\"../retrieval\"}}"));
        assertThat(JobSpecJson.read(spec).retrievalData()).map(r -> r.path())
                .contains(dir.resolve("retrieval").toString());
        Files.writeString(spec, embedding.replace("{\"gpus\":1}}", "{\"gpus\":1},\"retrieval_data\":{\"queries\":\"q.jsonl\","
                + "\"corpus\":\"/abs/c.jsonl\",\"judgements\":\"../j.jsonl\"}}"));
        assertThat(JobSpecJson.read(spec).retrievalData()).hasValueSatisfying(r -> {
            assertThat(r.queries()).isEqualTo(dir.resolve("specs/q.jsonl").toString());
            assertThat(r.corpus()).isEqualTo("/abs/c.jsonl");
            assertThat(r.judgements()).isEqualTo(dir.resolve("j.jsonl").toString());
        });
    }

    @Test
    void readingAMissingFile_saysSo(@TempDir Path dir) {
        assertThatThrownBy(() -> JobSpecJson.read(dir.resolve("nope.json")))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("nope.json").hasMessageContaining("file not found");
    }
}
