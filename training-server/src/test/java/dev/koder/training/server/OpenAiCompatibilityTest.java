package dev.koder.training.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.Tier;
import dev.koder.training.core.Training;
import dev.koder.training.core.store.SqliteAccess;
import dev.koder.training.spi.PluginConfig;
import dev.koder.training.trl.TrlRunner;
import dev.koder.training.trl.TrlTools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The official openai Python SDK, pointed at the server by base_url and nothing else: it uploads the tiny
 * dataset, creates a job that real TRL trains on the CPU, follows it to success, pages through its events and
 * checkpoints, cancels another job, and gets OpenAI's error types for a bad file, an unknown job, a missing or
 * wrong key and another tenant's objects.
 */
class OpenAiCompatibilityTest {

    static final Path DATA = Path.of("../examples/data").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    @Test
    void theOfficialSdk_trainsFollowsAndCancels_andGetsOpenAisErrors() throws Exception {
        TrlRunner runner = new TrlRunner(new PluginConfig(dir, Map.of()));
        Path model = new TrlTools(runner).tinyModel(dir.resolve("tiny-llama"), List.of(DATA.resolve(
                "shout-train.jsonl"), DATA.resolve("shout-prefs.jsonl")), 64, dir.resolve("work"), line -> { });
        Path bad = dir.resolve("bad.jsonl");
        Files.writeString(bad, Files.readAllLines(DATA.resolve("shout-train.jsonl")).get(0) + "\n"
                + "{\"messages\": [{\"role\": \"assistant\", \"content\": \"no user\"}, {\"role\": \"user\", "
                + "\"content\": \"last\"}]}\n");
        try (Training training = Training.builder().home(dir.resolve("home")).property("training.models.roots", dir.toString()).pollInterval(Duration.ofMillis(100))
                .build();
                TrainingServer server = TrainingServer.builder(training).port(0).start();
                SqliteAccess access = SqliteAccess.open(training.home())) {
            String key = access.createKey("acme", SqliteAccess.Role.MEMBER, "alice", Tier.PRO).key();
            String other = access.createKey("globex", SqliteAccess.Role.MEMBER, null, null).key();
            JsonNode r = OpenAiClient.script("openai_e2e.py", Map.of("base_url", "http://127.0.0.1:" + server.port()
                    + "/v1", "key", key, "other_key", other, "model", model.toString(), "train",
                    DATA.resolve("shout-train.jsonl").toString(), "prefs", DATA.resolve("shout-prefs.jsonl").toString(),
                    "bad", bad.toString()), dir);

            JsonNode file = r.get("file");
            assertThat(file.get("id").asString()).startsWith("file-");
            assertThat(file.get("object").asString()).isEqualTo("file");
            assertThat(file.get("purpose").asString()).isEqualTo("fine-tune");
            assertThat(file.get("bytes").asLong()).isEqualTo(Files.size(DATA.resolve("shout-train.jsonl")));
            assertThat(texts(r.get("files_listed"))).contains(file.get("id").asString());
            assertThat(assertError(r.get("bad_file"), "BadRequestError", 400).get("message").asString())
                    .startsWith("line 2: ");

            JsonNode created = r.get("created");
            assertThat(created.get("object").asString()).isEqualTo("fine_tuning.job");
            // the job as stored when the answer is written: an idle worker may have started it already
            assertThat(created.get("status").asString()).isIn("validating_files", "queued", "running");
            assertThat(created.at("/hyperparameters/n_epochs").asInt()).isEqualTo(1);
            assertThat(created.at("/hyperparameters/batch_size").asInt()).isEqualTo(16);
            assertThat(created.at("/hyperparameters/learning_rate_multiplier").asDouble()).isEqualTo(10.0);
            assertThat(created.get("user_provided_suffix").asString()).isEqualTo("shout");
            assertThat(created.get("seed").asInt()).isEqualTo(7);
            assertThat(created.at("/metadata/team").asString()).isEqualTo("search");
            assertThat(created.at("/method/type").asString()).isEqualTo("supervised");
            assertThat(created.get("training_file").asString()).isEqualTo(file.get("id").asString());

            JsonNode done = r.get("finished");
            String id = done.get("id").asString();
            assertThat(done.get("status").asString()).as(done.toString()).isEqualTo("succeeded");
            // the base as the tenant knows it (the model root's relative name), never a server path
            assertThat(done.get("fine_tuned_model").asString()).isEqualTo("ft:tiny-llama:acme:shout:" + id);
            assertThat(done.get("trained_tokens").asLong()).isPositive();
            assertThat(done.get("finished_at").asLong()).isGreaterThanOrEqualTo(done.get("created_at").asLong());

            List<JsonNode> events = new ArrayList<>();
            r.get("events").forEach(events::add);
            assertThat(events).isNotEmpty().allSatisfy(e -> assertThat(e.get("object").asString())
                    .isEqualTo("fine_tuning.job.event"));
            assertThat(events).extracting(e -> e.get("created_at").asLong()).isSortedAccordingTo((a, b) -> b.compareTo(a));
            assertThat(events).anySatisfy(e -> assertThat(e.get("type").asString()).isEqualTo("metrics"));
            // no server path in anything the tenant reads: files by id, job folders relative
            assertThat(events).allSatisfy(e -> assertThat(e.toString()).doesNotContain(dir.toString()));
            assertThat(events).anySatisfy(e -> assertThat(e.get("message").asString()).startsWith("submitted by acme"));
            assertThat(texts(r.get("events_page"))).hasSize(2).containsExactly(events.get(0).get("id").asString(),
                    events.get(1).get("id").asString());
            assertThat(texts(r.get("events_after"))).containsExactly(events.get(2).get("id").asString(),
                    events.get(3).get("id").asString());

            assertThat(r.get("checkpoints")).isNotEmpty().allSatisfy(c -> {
                assertThat(c.get("object").asString()).isEqualTo("fine_tuning.job.checkpoint");
                assertThat(c.get("fine_tuning_job_id").asString()).isEqualTo(id);
                assertThat(c.at("/metrics/step").asInt()).isEqualTo(c.get("step_number").asInt());
                assertThat(c.get("fine_tuned_model_checkpoint").asString()).startsWith("ft:tiny-llama:acme:shout:"
                        + id + ":ckpt-step-");
            });
            assertThat(texts(r.get("listed"))).contains(id);
            assertThat(texts(r.get("listed_by_metadata"))).containsExactly(id);
            assertThat(texts(r.get("listed_by_other_metadata"))).isEmpty();
            assertThat(r.at("/cancelled/status").asString()).isEqualTo("cancelled");
            assertThat(r.at("/cancelled/method/type").asString()).isEqualTo("dpo");
            assertThat(r.at("/cancelled/hyperparameters/beta").asDouble()).isEqualTo(0.2);

            assertError(r.get("unknown_job"), "NotFoundError", 404);
            assertError(r.get("other_tenant_job"), "NotFoundError", 404);
            assertError(r.get("other_tenant_events"), "NotFoundError", 404);
            assertError(r.get("other_tenant_file"), "NotFoundError", 404);
            assertThat(r.get("other_tenant_list")).isEmpty();
            assertError(r.get("missing_key"), "AuthenticationError", 401);
            assertError(r.get("wrong_key"), "AuthenticationError", 401);
            assertThat(assertError(r.get("unknown_file_for_job"), "BadRequestError", 400).get("param").asString())
                    .isEqualTo("training_file");
        }
    }

    static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asString()));
        return out;
    }

    static JsonNode assertError(JsonNode e, String type, int status) {
        assertThat(e).as("an error was raised").isNotNull();
        assertThat(e.isNull()).as("an error was raised").isFalse();
        assertThat(e.get("class").asString()).as(e.toString()).isEqualTo(type);
        assertThat(e.get("status").asInt()).isEqualTo(status);
        return e;
    }
}
