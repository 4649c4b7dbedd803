package dev.koder.training.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.AccessKeys;
import dev.koder.training.api.Tier;
import dev.koder.training.core.Training;
import dev.koder.training.spi.PluginConfig;
import dev.koder.training.sqlite.SqliteAccess;
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
        // the same model under an ORG/NAME of the root, through a link that stays inside it
        Files.createSymbolicLink(Files.createDirectories(dir.resolve("org")).resolve("tiny"), model);
        Path bad = dir.resolve("bad.jsonl");
        Files.writeString(bad, Files.readAllLines(DATA.resolve("shout-train.jsonl")).get(0) + "\n"
                + "{\"messages\": [{\"role\": \"assistant\", \"content\": \"no user\"}, {\"role\": \"user\", "
                + "\"content\": \"last\"}]}\n");
        try (Training training = Training.builder().home(dir.resolve("home")).property("training.models.roots",
                dir.toString()).pollInterval(Duration.ofMillis(100)).build();
                TrainingServer server = TrainingServer.builder(training).port(0).start();
                SqliteAccess access = SqliteAccess.open(training.home())) {
            String key = access.create("acme", AccessKeys.Role.MEMBER, "alice", Tier.PRO).key();
            String other = access.create("globex", AccessKeys.Role.MEMBER, null, null).key();
            Path schemas = dir.resolve("openai-schemas.json");
            try (var in = OpenAiCompatibilityTest.class.getResourceAsStream("openai-schemas.json")) {
                Files.write(schemas, in.readAllBytes());
            }
            JsonNode r = OpenAiClient.script("openai_e2e.py", Map.of("base_url", "http://127.0.0.1:" + server.port()
                    + "/v1", "key", key, "other_key", other, "model", model.toString(), "org_model", "org/tiny",
                    "train", DATA.resolve("shout-train.jsonl").toString(), "prefs", DATA.resolve("shout-prefs.jsonl")
                            .toString(), "bad", bad.toString(), "schemas", schemas.toString()), dir);

            // every answer, errors included, has the shape of OpenAI's published objects
            assertThat(texts(r.get("schema_violations"))).isEmpty();
            assertThat(r.get("responses_checked").asInt()).isGreaterThan(80);

            JsonNode file = r.get("file");
            assertThat(file.get("id").asString()).startsWith("file-");
            assertThat(file.get("object").asString()).isEqualTo("file");
            assertThat(file.get("purpose").asString()).isEqualTo("fine-tune");
            assertThat(file.get("bytes").asLong()).isEqualTo(Files.size(DATA.resolve("shout-train.jsonl")));
            assertThat(file.get("status_details").asString()).isEqualTo("every example valid: "
                    + Files.readAllLines(DATA.resolve("shout-train.jsonl")).size() + " examples in the chat format");
            assertThat(texts(r.get("files_listed"))).contains(file.get("id").asString());
            assertThat(assertError(r.get("bad_file"), "BadRequestError", 400).get("message").asString())
                    .startsWith("line 2: ");
            assertThat(r.get("file_content_exact").asBoolean()).isTrue();
            assertThat(r.get("file_retrieve_content_exact").asBoolean()).isTrue();
            List<String> desc = texts(r.get("files_desc"));
            assertThat(desc).hasSize(2).startsWith(r.at("/file_deleted/id").asString());
            assertThat(texts(r.get("files_asc"))).containsExactlyElementsOf(reversed(desc));
            assertThat(texts(r.get("files_paged"))).containsExactlyElementsOf(desc);
            assertThat(r.at("/file_deleted/deleted").asBoolean()).isTrue();
            assertError(r.get("deleted_file"), "NotFoundError", 404);

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
            List<String> checkpoints = new ArrayList<>();
            r.get("checkpoints").forEach(c -> checkpoints.add(c.get("id").asString()));
            assertThat(checkpoints).hasSizeGreaterThanOrEqualTo(2);
            assertThat(texts(r.get("checkpoints_paged"))).containsExactlyElementsOf(checkpoints);
            assertThat(texts(done.get("result_files"))).hasSize(1);
            assertThat(r.at("/results_file/purpose").asString()).isEqualTo("fine-tune-results");
            List<String> csv = r.get("results_csv").asString().lines().toList();
            assertThat(csv.get(0)).isEqualTo("step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy");
            assertThat(csv).hasSizeGreaterThan(1);
            assertThat(csv.get(1)).matches("1,[0-9.]+,.*");

            assertThat(texts(r.get("listed"))).contains(id);
            assertThat(texts(r.get("listed_by_metadata"))).containsExactly(id);
            assertThat(texts(r.get("listed_by_other_metadata"))).isEmpty();
            assertError(r.get("pause_finished"), "ConflictError", 409);
            assertError(r.get("resume_finished"), "ConflictError", 409);

            // continuing from the fine-tuned model; paused and resumed under the same id
            String cont = r.at("/continued_created/id").asString();
            assertThat(r.at("/continued_created/model").asString()).isEqualTo(done.get("fine_tuned_model").asString());
            assertThat(r.at("/pause/status").asString()).isIn("pausing", "paused");
            assertThat(r.at("/paused/status").asString()).isEqualTo("paused");
            assertThat(r.at("/paused/finished_at").isNull()).isTrue();
            assertThat(r.at("/resume_paused/id").asString()).isEqualTo(cont);
            assertThat(r.at("/resume_paused/status").asString()).isIn("queued", "running");
            assertThat(r.at("/continued_finished/id").asString()).isEqualTo(cont);
            assertThat(r.at("/continued_finished/status").asString()).as(r.get("continued_finished").toString())
                    .isEqualTo("succeeded");
            assertThat(texts(r.get("continued_events"))).anySatisfy(m -> assertThat(m).startsWith("pause requested"))
                    .anySatisfy(m -> assertThat(m).startsWith("resumed: queued again"));
            assertThat(r.at("/from_checkpoint/status").asString()).isEqualTo("cancelled");

            // the SDK's auto-pagination over every job, four a page, newest first
            List<String> many = texts(r.get("many"));
            List<String> all = texts(r.get("all_jobs_paged"));
            assertThat(all).doesNotHaveDuplicates().hasSize(28).startsWith(reversed(many).toArray(String[]::new))
                    .contains(id, cont, r.at("/from_checkpoint/id").asString());
            assertThat(r.at("/cancelled/status").asString()).isEqualTo("cancelled");
            assertThat(r.at("/cancelled/method/type").asString()).isEqualTo("dpo");
            assertThat(r.at("/cancelled/hyperparameters/beta").asDouble()).isEqualTo(0.2);

            assertThat(r.get("file_processed").asString()).isEqualTo("processed");
            assertThat(assertError(r.get("checkpoint_permissions"), "NotFoundError", 404).get("message").asString())
                    .isNotBlank();
            assertError(r.get("graders"), "NotFoundError", 404);
            assertError(r.get("unknown_job"), "NotFoundError", 404);
            assertError(r.get("other_tenant_job"), "NotFoundError", 404);
            assertError(r.get("other_tenant_events"), "NotFoundError", 404);
            assertError(r.get("other_tenant_checkpoints"), "NotFoundError", 404);
            assertError(r.get("other_tenant_cancel"), "NotFoundError", 404);
            assertError(r.get("other_tenant_pause"), "NotFoundError", 404);
            assertError(r.get("other_tenant_resume"), "NotFoundError", 404);
            assertError(r.get("other_tenant_file"), "NotFoundError", 404);
            assertError(r.get("other_tenant_file_content"), "NotFoundError", 404);
            assertError(r.get("other_tenant_file_delete"), "NotFoundError", 404);
            // another tenant's file is answered as a missing one
            assertThat(assertError(r.get("other_tenant_train_on_file"), "BadRequestError", 400).get("message")
                    .asString().replace(file.get("id").asString(), "file-nope"))
                    .isEqualTo(r.at("/unknown_file_for_job/message").asString());
            assertThat(assertError(r.get("other_tenant_model"), "BadRequestError", 400).get("param").asString())
                    .isEqualTo("model");
            assertThat(r.get("other_tenant_list")).isEmpty();
            assertThat(r.get("other_tenant_files")).hasSize(1);
            // models: what acme may fine-tune, by the names a job takes, never a path; globex's list has none of
            // acme's fine-tunes and answers for them as for no model
            String fineTuned = done.get("fine_tuned_model").asString();
            assertThat(r.get("models")).allSatisfy(m -> {
                assertThat(m.get("object").asString()).isEqualTo("model");
                assertThat(m.get("id").asString()).doesNotContain(dir.toString());
                assertThat(m.get("owned_by").asString()).isEqualTo(m.get("id").asString().startsWith("ft:") ? "acme"
                        : "system");
            });
            assertThat(r.get("models")).extracting(m -> m.get("id").asString()).contains("tiny-llama", fineTuned,
                    r.at("/continued_finished/fine_tuned_model").asString());
            assertThat(r.at("/model_fine_tuned/id").asString()).isEqualTo(fineTuned);
            assertThat(r.at("/model_fine_tuned/created").asLong()).isGreaterThanOrEqualTo(done.get("created_at")
                    .asLong());
            assertThat(r.at("/model_root/id").asString()).isEqualTo("tiny-llama");
            assertThat(r.at("/model_org/id").asString()).isEqualTo("org/tiny");
            assertThat(r.at("/model_org/source").asString()).isEqualTo("model_root");
            // models are never deleted: the owner is told how to deprecate, another tenant learns nothing
            JsonNode refused = assertError(r.get("delete_fine_tuned_model"), "APIStatusError", 405);
            assertThat(refused.get("code").asString()).isEqualTo("method_not_allowed");
            assertThat(refused.get("message").asString()).contains("does not delete models")
                    .contains("To retire '" + fineTuned + "', deprecate its checkpoint")
                    .contains("/v1/native/checkpoints/{id}/deprecate");
            assertThat(texts(r.get("models_after_delete"))).contains(fineTuned);
            for (String missing : List.of("model_by_path", "unknown_model", "other_tenant_fine_tuned_model",
                    "other_tenant_delete_model")) {
                assertThat(assertError(r.get(missing), "NotFoundError", 404).get("code").asString()).as(missing)
                        .isEqualTo("model_not_found");
            }
            assertThat(texts(r.get("other_tenant_models"))).contains("tiny-llama").noneMatch(m -> m.startsWith("ft:"));
            assertError(r.get("missing_key"), "AuthenticationError", 401);
            assertError(r.get("wrong_key"), "AuthenticationError", 401);
            assertThat(assertError(r.get("unknown_file_for_job"), "BadRequestError", 400).get("param").asString())
                    .isEqualTo("training_file");
        }
    }

    static List<String> reversed(List<String> list) {
        List<String> out = new ArrayList<>(list);
        java.util.Collections.reverse(out);
        return out;
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
