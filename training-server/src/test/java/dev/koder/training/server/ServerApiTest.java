package dev.koder.training.server;

import dev.koder.training.tck.KitProcess;
import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.AccessKeys.Role;
import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Tier;
import dev.koder.training.core.Training;
import dev.koder.training.spi.Json;
import dev.koder.training.sqlite.SqliteAccess;
import dev.koder.training.tck.ScriptedRunner;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The server's edge over HTTP, with a scripted trainer: two tenants tried against every endpoint, roles, bad
 * input of every kind leaving nothing half-stored, and the operations endpoints.
 */
class ServerApiTest {

    static final String CHAT = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},"
            + "{\"role\":\"assistant\",\"content\":\"HI\"}]}\n";

    @TempDir
    Path dir;

    Training training;
    TrainingServer server;
    String acme;
    String carol;
    String globex;
    Path model;
    final HttpClient http = HttpClient.newHttpClient();

    record Response(int status, JsonNode body, String text) {
    }

    /** Scores the scripted checkpoints (which hold no real weights) the same every time; the real scoring is
     * runner-trl's EvaluationOnDemandTest. */
    final List<dev.koder.training.spi.CheckpointEvaluator.Request> scored = new java.util.concurrent.CopyOnWriteArrayList<>();
    final dev.koder.training.spi.CheckpointEvaluator scorer = new dev.koder.training.spi.CheckpointEvaluator() {
        @Override
        public boolean supports(dev.koder.training.api.DatasetFormat format) {
            return format == dev.koder.training.api.DatasetFormat.CHAT;
        }

        @Override
        public Result evaluate(Request request, Path work, java.util.function.Consumer<String> lines) {
            scored.add(request);
            return new Result(Map.of("eval_loss", 0.5), Map.of("eval_loss", 2.5), 4, "cpu");
        }
    };

    @BeforeEach
    void start() throws IOException {
        model = Files.createDirectories(dir.resolve("model"));
        Files.writeString(model.resolve("config.json"), "{\"model_type\":\"llama\"}");
        training = Training.builder().home(dir.resolve("home")).property("training.models.roots", dir.toString())
                .property("training.approval.tenant.gated.require", "eval_loss")
                .property("training.approval.tenant.gated.other-approver", "true")
                .runner(new ScriptedRunner("fake", ScriptedRunner.allMethods()).evaluatedBy(scorer))
                .pollInterval(Duration.ofMillis(50))
                .build();
        server = TrainingServer.builder(training).port(0).maxUploadBytes(64 * 1024)
                .idleTimeout(Duration.ofSeconds(1)).start();
        try (SqliteAccess access = SqliteAccess.open(training.home())) {
            acme = access.create("acme", Role.MEMBER, "alice", Tier.PRO).key();
            carol = access.create("acme", Role.APPROVER, "carol", null).key();
            globex = access.create("globex", Role.ADMIN, "gina", Tier.ENTERPRISE).key();
        }
    }

    @AfterEach
    void stop() {
        server.close();
        training.close();
    }

    Response call(String method, String path, String key, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json");
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode json = null;
        try {
            json = Json.MAPPER.readTree(r.body());
        } catch (RuntimeException e) {
            // not JSON (metrics)
        }
        return new Response(r.statusCode(), json, r.body());
    }

    Response upload(String key, String filename, String content) throws Exception {
        String boundary = "----boundary7";
        String body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n"
                + "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename
                + "\"\r\nContent-Type: application/jsonl\r\n\r\n" + content + "\r\n--" + boundary + "--\r\n";
        HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/files"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "multipart/form-data; boundary="
                        + boundary).POST(HttpRequest.BodyPublishers.ofString(body)).build();
        // A client of its own: a refused upload's connection is closed by the server before the body is read.
        HttpResponse<String> res = HttpClient.newHttpClient().send(r, HttpResponse.BodyHandlers.ofString());
        return new Response(res.statusCode(), Json.MAPPER.readTree(res.body()), res.body());
    }

    String createJob(String key, String fileId) throws Exception {
        Response r = call("POST", "/v1/fine_tuning/jobs", key, "{\"model\":\"" + model + "\",\"training_file\":\""
                + fileId + "\",\"suffix\":\"iso\"}");
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        return r.body().get("id").asString();
    }

    Job awaitEnd(String id) throws Exception {
        return training.jobs().await(id, Duration.ofSeconds(60));
    }

    @Test
    void anotherTenant_getsA404FromEveryEndpoint_neverA403_andListsNothingOfIt() throws Exception {
        String file = upload(acme, "train.jsonl", CHAT.repeat(4)).body().get("id").asString();
        String job = createJob(acme, file);
        Job done = awaitEnd(job);
        assertThat(done.status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(done.spec().tier()).as("the tier comes from the tenant").isEqualTo(Tier.PRO);
        var firstCheckpoint = training.checkpoints().list(dev.koder.training.api.CheckpointQuery.builder().jobId(job)
                .build()).items().get(0);
        String checkpoint = firstCheckpoint.id();
        String event = call("GET", "/v1/fine_tuning/jobs/" + job + "/events?limit=1", acme, null).body()
                .at("/data/0/id").asString();
        List<String[]> objects = List.of(
                new String[] {"GET", "/v1/files/" + file}, new String[] {"DELETE", "/v1/files/" + file},
                new String[] {"GET", "/v1/files/" + file + "/content"},
                new String[] {"GET", "/v1/fine_tuning/jobs/" + job},
                new String[] {"POST", "/v1/fine_tuning/jobs/" + job + "/cancel"},
                new String[] {"POST", "/v1/fine_tuning/jobs/" + job + "/pause"},
                new String[] {"POST", "/v1/fine_tuning/jobs/" + job + "/resume"},
                new String[] {"GET", "/v1/native/checkpoints/" + checkpoint + "/files"},
                new String[] {"GET", "/v1/native/checkpoints/" + checkpoint + "/files/"
                        + firstCheckpoint.files().get(0).path()},
                new String[] {"GET", "/v1/fine_tuning/jobs/" + job + "/events"},
                new String[] {"GET", "/v1/fine_tuning/jobs/" + job + "/events?after=" + event},
                new String[] {"GET", "/v1/fine_tuning/jobs/" + job + "/checkpoints"},
                new String[] {"GET", "/v1/native/jobs/" + job},
                new String[] {"GET", "/v1/native/checkpoints/" + checkpoint},
                new String[] {"GET", "/v1/native/checkpoints/" + checkpoint + "/history"},
                new String[] {"GET", "/v1/native/checkpoints/" + checkpoint + "/gate"},
                new String[] {"GET", "/v1/native/checkpoints/" + checkpoint + "/ancestry"},
                new String[] {"GET", "/v1/native/checkpoints/" + checkpoint + "/evaluations"},
                new String[] {"GET", "/v1/native/checkpoints/" + checkpoint + "/exports"},
                new String[] {"POST", "/v1/native/checkpoints/" + checkpoint + "/evaluations"},
                new String[] {"POST", "/v1/native/checkpoints/" + checkpoint + "/approve"},
                new String[] {"POST", "/v1/native/checkpoints/" + checkpoint + "/deprecate"});
        // every route of one object is in the list above
        for (String row : server.rolesTable()) {
            String route = row.split(" \\| ")[0];
            if (route.contains("{id}")) {
                String pattern = java.util.regex.Pattern.quote(route).replace("{id}", "\\E[^/]+\\Q")
                        .replace("<path>", "\\E.+\\Q");
                assertThat(objects).as("a cross-tenant case for " + route)
                        .anySatisfy(o -> assertThat((o[0] + " " + o[1]).split("\\?")[0]).matches(pattern));
            }
        }
        for (String[] o : objects) {
            Response theirs = call(o[0], o[1], globex, "{\"reason\":\"x\"}");
            assertThat(theirs.status()).as(o[0] + " " + o[1] + ": " + theirs.text()).isEqualTo(404);
            assertThat(theirs.body().at("/error/type").asString()).isEqualTo("invalid_request_error");
            Response unknown = call(o[0], o[1].replace(job, "ftjob-0000").replace(file, "file-0000")
                    .replace(checkpoint, "ckpt-0000"), globex, "{\"reason\":\"x\"}");
            assertThat(unknown.status()).as("the same answer as for nothing: " + o[1]).isEqualTo(404);
        }
        for (String list : List.of("/v1/files", "/v1/fine_tuning/jobs", "/v1/native/checkpoints", "/v1/native/jobs")) {
            JsonNode theirs = call("GET", list, globex, null).body();
            assertThat(theirs.has("data") ? theirs.get("data") : theirs.get("items")).as(list).isEmpty();
            JsonNode ours = call("GET", list, acme, null).body();
            assertThat(ours.has("data") ? ours.get("data") : ours.get("items")).as(list).isNotEmpty();
        }
        Response borrow = call("POST", "/v1/fine_tuning/jobs", globex, "{\"model\":\"" + model + "\","
                + "\"training_file\":\"" + file + "\"}");
        assertThat(borrow.status()).isEqualTo(400);
        assertThat(borrow.body().at("/error/code").asString()).isEqualTo("invalid_file");
        assertThat(call("GET", "/v1/files/" + file, acme, null).status()).as("still there for its owner")
                .isEqualTo(200);
        assertThat(training.checkpoints().get(checkpoint).stage().wireName()).isEqualTo("draft");
    }

    static final String PAIRS = "{\"anchor\":\"cheap flights\",\"positive\":\"Low-cost airfares\"}\n"
            + "{\"anchor\":\"hotels\",\"positive\":\"Hotel deals\"}\n";

    @Test
    void embeddingJobs_goToTheNativeEndpoint_andTheOpenAiEndpointSaysSo() throws Exception {
        String pairs = upload(acme, "pairs.jsonl", PAIRS.repeat(3)).body().get("id").asString();
        assertThat(call("GET", "/v1/files/" + pairs, acme, null).body().get("id").asString()).isEqualTo(pairs);
        Response typed = call("POST", "/v1/fine_tuning/jobs", acme, "{\"model\":\"" + model + "\",\"training_file\":\""
                + pairs + "\",\"method\":{\"type\":\"embedding\"}}");
        assertThat(typed.status()).isEqualTo(400);
        assertThat(typed.body().at("/error/param").asString()).isEqualTo("method.type");
        assertThat(typed.body().at("/error/message").asString()).isEqualTo("method.type embedding is not part of the "
                + "OpenAI fine-tuning API; submit embedding and reranker jobs as a whole job spec to POST "
                + "/v1/native/jobs");
        Response data = call("POST", "/v1/fine_tuning/jobs", acme, "{\"model\":\"" + model + "\",\"training_file\":\""
                + pairs + "\"}");
        assertThat(data.status()).isEqualTo(400);
        assertThat(data.body().at("/error/message").asString()).contains(pairs + " holds pairs data")
                .contains("POST /v1/native/jobs");

        String spec = "{\"name\":\"search-embed\",\"tenant\":\"acme\",\"base_model\":\"" + model + "\","
                + "\"method\":{\"objective\":\"embedding\",\"adapter\":\"lora\",\"embedding\":"
                + "{\"loss\":\"cached_multiple_negatives_ranking\"}},"
                + "\"hyperparameters\":{\"max_steps\":2},\"resources\":{\"gpus\":0},"
                + "\"training_data\":{\"path\":\"" + pairs + "\",\"format\":\"pairs\"},"
                + "\"validation_data\":{\"path\":\"" + pairs + "\",\"format\":\"pairs\"}}";
        Response submitted = call("POST", "/v1/native/jobs", acme, spec);
        assertThat(submitted.status()).as(submitted.text()).isEqualTo(200);
        String id = submitted.body().get("id").asString();
        assertThat(submitted.body().at("/spec/method/objective").asString()).isEqualTo("embedding");
        assertThat(submitted.body().at("/spec/method/embedding/mini_batch_size").asInt()).isEqualTo(32);
        assertThat(submitted.body().at("/spec/training_data/path").asString()).isEqualTo(pairs);
        // The OpenAI view of the tenant's jobs shows it with its own method type.
        Response listed = call("GET", "/v1/fine_tuning/jobs/" + id, acme, null);
        assertThat(listed.body().at("/method/type").asString()).isEqualTo("embedding");
        assertThat(awaitEnd(id).status()).isEqualTo(JobStatus.SUCCEEDED);

        Response folder = call("POST", "/v1/native/jobs", acme, spec.replace(",\"resources\"",
                ",\"retrieval_data\":{\"path\":\"/etc\"},\"resources\""));
        assertThat(folder.status()).isEqualTo(400);
        assertThat(folder.text()).contains("/retrieval_data/path");

        // A retrieval set is three uploads, each checked on its own as it arrives, and together at submit.
        Response queries = upload(acme, "queries.jsonl", "{\"id\":\"q1\",\"text\":\"cheap flights\"}\n");
        assertThat(queries.body().get("format").asString()).isEqualTo("retrieval");
        String corpus = upload(acme, "corpus.jsonl", "{\"id\":\"d1\",\"text\":\"Low-cost airfares\"}\n"
                + "{\"id\":\"d2\",\"text\":\"Hotel deals\"}\n").body().get("id").asString();
        Response badJudgements = upload(acme, "qrels.jsonl", "{\"query_id\":\"q1\",\"document_id\":\"d1\"}\n"
                + "{\"query_id\":\"q1\",\"document_id\":7}\n");
        assertThat(badJudgements.status()).isEqualTo(400);
        assertThat(badJudgements.body().at("/error/message").asString()).isEqualTo("qrels.jsonl:2: \"document_id\" "
                + "must name a document of the corpus, got 7");
        String judgements = upload(acme, "qrels.jsonl", "{\"query_id\":\"q1\",\"document_id\":\"d9\"}\n")
                .body().get("id").asString();
        String retrieval = ",\"retrieval_data\":{\"queries\":\"" + queries.body().get("id").asString()
                + "\",\"corpus\":\"" + corpus + "\",\"judgements\":\"" + judgements + "\"},\"resources\"";
        // the three files are checked together while the job validates, as its datasets are
        Response unknownDoc = call("POST", "/v1/native/jobs", acme, spec.replace(",\"resources\"", retrieval));
        assertThat(unknownDoc.status()).as(unknownDoc.text()).isEqualTo(200);
        Job refused = awaitEnd(unknownDoc.body().get("id").asString());
        assertThat(refused.status()).isEqualTo(JobStatus.FAILED);
        assertThat(refused.failure().message()).contains("/retrieval_data/judgements")
                .contains(":1: \"document_id\" must name a document of the corpus, got \"d9\"");
        String good = upload(acme, "qrels.jsonl", "{\"query_id\":\"q1\",\"document_id\":\"d1\"}\n").body()
                .get("id").asString();
        Response withSet = call("POST", "/v1/native/jobs", acme, spec.replace(",\"resources\"",
                retrieval.replace(judgements, good)));
        assertThat(withSet.status()).as(withSet.text()).isEqualTo(200);
        assertThat(withSet.body().at("/spec/retrieval_data/judgements").asString()).isEqualTo(good);
        assertThat(awaitEnd(withSet.body().get("id").asString()).status()).isEqualTo(JobStatus.SUCCEEDED);
        Response notTraining = call("POST", "/v1/fine_tuning/jobs", acme, "{\"model\":\"" + model
                + "\",\"training_file\":\"" + corpus + "\"}");
        assertThat(notTraining.status()).isEqualTo(400);
        assertThat(notTraining.body().at("/error/message").asString()).startsWith(corpus + " is a file of a "
                + "retrieval set");
    }

    @Test
    void anEvaluation_onTheTenantsOwnUpload_isKeptAndListed_withTheFileIdNotAPath() throws Exception {
        String file = upload(acme, "train.jsonl", CHAT.repeat(4)).body().get("id").asString();
        String job = createJob(acme, file);
        awaitEnd(job);
        Checkpoint output = training.checkpoints().list(dev.koder.training.api.CheckpointQuery.builder().jobId(job)
                .build()).items().stream().filter(Checkpoint::last).findFirst().orElseThrow();
        String at = "/v1/native/checkpoints/" + output.id() + "/evaluations";
        String heldOut = upload(acme, "held-out.jsonl", CHAT.repeat(2)).body().get("id").asString();

        Response done = call("POST", at, acme, "{\"file\":\"" + heldOut + "\"}");
        assertThat(done.status()).as(done.text()).isEqualTo(200);
        assertThat(done.body().get("data").asString()).isEqualTo(heldOut);
        assertThat(done.body().get("format").asString()).as("the upload's format").isEqualTo("chat");
        assertThat(done.body().at("/metrics/eval_loss").asDouble()).isEqualTo(0.5);
        assertThat(done.body().at("/base_metrics/eval_loss").asDouble()).isEqualTo(2.5);
        assertThat(done.body().get("actor").asString()).isEqualTo("alice");
        assertThat(done.text()).doesNotContain(dir.toString());
        assertThat(scored).singleElement().satisfies(r -> assertThat(r.data().toString()).contains(heldOut));
        JsonNode listed = call("GET", at, acme, null).body().get("items");
        assertThat(listed).hasSize(1);
        assertThat(listed.get(0).get("id").asString()).isEqualTo(done.body().get("id").asString());

        String theirs = upload(globex, "theirs.jsonl", CHAT.repeat(2)).body().get("id").asString();
        Response foreign = call("POST", at, acme, "{\"file\":\"" + theirs + "\"}");
        assertThat(foreign.status()).as("another tenant's file").isEqualTo(404);
        Response missing = call("POST", at, acme, "{}");
        assertThat(missing.status()).isEqualTo(400);
        assertThat(missing.body().at("/error/param").asString()).isEqualTo("file");
        Response unscored = call("POST", at, acme, "{\"file\":\"" + heldOut + "\",\"format\":\"preference\"}");
        assertThat(unscored.status()).as(unscored.text()).isEqualTo(400);
        assertThat(unscored.body().at("/error/message").asString()).doesNotContain(dir.toString());
        assertThat(scored).hasSize(1);

        // an export the operator wrote shows, without the server's folder
        training.checkpoints().export(output.id(), dir.resolve("served"), false, n -> { });
        Response exports = call("GET", "/v1/native/checkpoints/" + output.id() + "/exports", acme, null);
        assertThat(exports.status()).as(exports.text()).isEqualTo(200);
        assertThat(exports.body().at("/items/0/merged").asBoolean()).isFalse();
        assertThat(exports.body().at("/items/0/manifest_sha256").asString()).hasSize(64);
        assertThat(exports.body().at("/items/0/files").asInt()).isPositive();
        assertThat(exports.text()).doesNotContain(dir.toString());
    }

    @Test
    void aJobOnACheckpoint_showsTheChainItContinues() throws Exception {
        String file = upload(acme, "train.jsonl", CHAT.repeat(4)).body().get("id").asString();
        String first = createJob(acme, file);
        awaitEnd(first);
        Checkpoint parent = training.checkpoints().list(dev.koder.training.api.CheckpointQuery.builder().jobId(first)
                .build()).items().stream().filter(Checkpoint::last).findFirst().orElseThrow();
        Response created = call("POST", "/v1/fine_tuning/jobs", acme, "{\"model\":\"" + parent.id()
                + "\",\"training_file\":\"" + file + "\"}");
        assertThat(created.status()).as(created.text()).isEqualTo(200);
        String second = created.body().get("id").asString();
        assertThat(awaitEnd(second).status()).isEqualTo(JobStatus.SUCCEEDED);
        Checkpoint child = training.checkpoints().list(dev.koder.training.api.CheckpointQuery.builder().jobId(second)
                .build()).items().stream().filter(Checkpoint::last).findFirst().orElseThrow();
        Response chain = call("GET", "/v1/native/checkpoints/" + child.id() + "/ancestry", acme, null);
        assertThat(chain.status()).as(chain.text()).isEqualTo(200);
        JsonNode items = chain.body().get("items");
        assertThat(items).hasSize(2);
        assertThat(items.get(0).get("id").asString()).isEqualTo(child.id());
        assertThat(items.get(0).at("/lineage/parent").asString()).isEqualTo(parent.id());
        assertThat(items.get(1).get("id").asString()).isEqualTo(parent.id());
        assertThat(items.get(1).get("base_model").asString()).as("the base as the tenant knows it").doesNotStartWith("/");
    }

    @Test
    void theApprovalGate_refusesWithItsRules_andOnlyAnAdminOverrides_intoTheAuditTrail() throws Exception {
        String submitter;
        String approver;
        String admin;
        try (SqliteAccess access = SqliteAccess.open(training.home())) {
            submitter = access.create("gated", Role.APPROVER, "sam", Tier.PRO).key();
            approver = access.create("gated", Role.APPROVER, "ada", null).key();
            admin = access.create("gated", Role.ADMIN, "root", null).key();
        }
        String file = upload(submitter, "train.jsonl", CHAT.repeat(4)).body().get("id").asString();
        String job = createJob(submitter, file);
        assertThat(awaitEnd(job).submittedBy()).as("the key's name is the submitter").isEqualTo("sam");
        Checkpoint output = training.checkpoints().list(dev.koder.training.api.CheckpointQuery.builder().jobId(job)
                .build()).items().stream().filter(Checkpoint::last).findFirst().orElseThrow();
        String at = "/v1/native/checkpoints/" + output.id();

        Response own = call("GET", at + "/gate", submitter, null);
        assertThat(own.status()).as(own.text()).isEqualTo(200);
        assertThat(own.body().get("allowed").asBoolean()).isFalse();
        assertThat(own.body().at("/rules/0/rule").asString()).isEqualTo("other-approver");
        assertThat(own.body().at("/rules/0/detail").asString()).contains("sam submitted job " + job);
        assertThat(own.body().at("/rules/1/rule").asString()).isEqualTo("require.eval_loss");

        Response refused = call("POST", at + "/approve", approver, "{\"reason\":\"looks good\"}");
        assertThat(refused.status()).as(refused.text()).isEqualTo(409);
        assertThat(refused.body().at("/error/code").asString()).isEqualTo("approval_refused");
        assertThat(refused.body().at("/error/message").asString()).contains("require.eval_loss: eval_loss is "
                + "missing").doesNotContain("other-approver:");
        assertThat(refused.body().at("/error/gate/rules/0/passed").asBoolean()).as("ada is not sam").isTrue();
        assertThat(refused.body().at("/error/gate/allowed").asBoolean()).isFalse();

        Response notAdmin = call("POST", at + "/approve", approver, "{\"reason\":\"trust me\",\"override\":true}");
        assertThat(notAdmin.status()).isEqualTo(403);
        assertThat(notAdmin.body().at("/error/message").asString()).contains("needs an admin key");
        assertThat(training.checkpoints().get(output.id()).stage().wireName()).isEqualTo("draft");

        Response overridden = call("POST", at + "/approve", admin, "{\"reason\":\"no eval set for this model "
                + "yet\",\"override\":true}");
        assertThat(overridden.status()).as(overridden.text()).isEqualTo(200);
        assertThat(overridden.body().get("stage").asString()).isEqualTo("approved");
        JsonNode history = call("GET", at + "/history", submitter, null).body().get("items");
        assertThat(history).hasSize(2);
        JsonNode move = history.get(1);
        assertThat(move.get("actor").asString()).isEqualTo("root");
        assertThat(move.get("override").asBoolean()).isTrue();
        assertThat(move.get("reason").asString()).isEqualTo("no eval set for this model yet");
        assertThat(move.at("/gate/1/rule").asString()).isEqualTo("require.eval_loss");
        assertThat(move.at("/gate/1/passed").asBoolean()).isFalse();
        assertThat(call("GET", at + "/history", globex, null).status()).as("another tenant's audit trail")
                .isEqualTo(404);
    }

    @Test
    void onlyApproversApproveOrDeprecate_andTheActorIsTheKeysName() throws Exception {
        String file = upload(acme, "train.jsonl", CHAT.repeat(4)).body().get("id").asString();
        String job = createJob(acme, file);
        awaitEnd(job);
        Checkpoint output = training.checkpoints().list(dev.koder.training.api.CheckpointQuery.builder().jobId(job)
                .build()).items().stream().filter(Checkpoint::last).findFirst().orElseThrow();
        Response member = call("POST", "/v1/native/checkpoints/" + output.id() + "/approve", acme,
                "{\"reason\":\"looks good\"}");
        assertThat(member.status()).isEqualTo(403);
        assertThat(member.body().at("/error/message").asString()).contains("approver");
        Response noReason = call("POST", "/v1/native/checkpoints/" + output.id() + "/approve", carol, "{}");
        assertThat(noReason.status()).isEqualTo(400);
        assertThat(noReason.body().at("/error/param").asString()).isEqualTo("reason");
        Response approved = call("POST", "/v1/native/checkpoints/" + output.id() + "/approve", carol,
                "{\"reason\":\"beats the baseline\"}");
        assertThat(approved.status()).as(approved.text()).isEqualTo(200);
        assertThat(approved.body().get("stage").asString()).isEqualTo("approved");
        assertThat(training.checkpoints().history(output.id())).last().satisfies(t -> {
            assertThat(t.actor()).isEqualTo("carol");
            assertThat(t.reason()).isEqualTo("beats the baseline");
        });
        assertThat(training.checkpoints().approved("acme", model.toString())).isPresent();
        assertThat(training.checkpoints().approved("globex", model.toString())).isEmpty();
        Response again = call("POST", "/v1/native/checkpoints/" + output.id() + "/approve", carol,
                "{\"reason\":\"twice\"}");
        assertThat(again.status()).isEqualTo(409);

        // Download: the manifest, then each file, whose bytes match the SHA-256 the answer and the registry name.
        JsonNode manifest = call("GET", "/v1/native/checkpoints/" + output.id() + "/files", acme, null).body();
        assertThat(manifest.get("files")).hasSize(output.files().size());
        for (Checkpoint.File f : output.files()) {
            HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                    + "/v1/native/checkpoints/" + output.id() + "/files/" + f.path())).header("Authorization",
                    "Bearer " + acme).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(r.statusCode()).as(f.path()).isEqualTo(200);
            assertThat(r.headers().firstValue("X-Checksum-Sha256")).contains(f.sha256());
            assertThat(java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(r.body()))).isEqualTo(f.sha256());
            // as httpx, requests and browsers ask: compression allowed; the bytes still come whole and as they are
            HttpResponse<byte[]> gz = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                    + "/v1/native/checkpoints/" + output.id() + "/files/" + f.path())).header("Authorization",
                    "Bearer " + acme).header("Accept-Encoding", "gzip, deflate, br").build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(gz.statusCode()).as(f.path()).isEqualTo(200);
            assertThat(gz.headers().firstValue("Content-Encoding")).isEmpty();
            assertThat(gz.body()).isEqualTo(r.body());
            // and as curl --compressed asks
            Path got = dir.resolve("curl-" + f.sha256());
            Process curl = new ProcessBuilder("curl", "--compressed", "-sS", "-f", "-o", got.toString(), "-H",
                    "Authorization: Bearer " + acme, "http://127.0.0.1:" + server.port() + "/v1/native/checkpoints/"
                    + output.id() + "/files/" + f.path()).redirectErrorStream(true).start();
            String curlSaid = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(curl.waitFor()).as("curl (apt-get install curl): " + curlSaid).isZero();
            assertThat(Files.readAllBytes(got)).as(f.path()).isEqualTo(r.body());
            if (f.size() > 1) {
                HttpResponse<byte[]> part = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + server.port() + "/v1/native/checkpoints/" + output.id() + "/files/" + f.path()))
                        .header("Authorization", "Bearer " + acme).header("Range", "bytes=1-").build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                assertThat(part.statusCode()).as(f.path()).isEqualTo(206);
                assertThat(part.body()).isEqualTo(java.util.Arrays.copyOfRange(r.body(), 1, r.body().length));
            }
        }
        // Revocation from another process on the home (as `training keys revoke` from another shell): the very
        // next request is refused.
        assertThat(call("GET", "/v1/native/me", carol, null).status()).isEqualTo(200);
        Process revoke = new ProcessBuilder(KitProcess.java(List.of(), RevokeKey.class, training.home().toString(),
                "carol")).redirectErrorStream(true).start();
        String said = new String(revoke.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(revoke.waitFor()).as(said).isZero();
        assertThat(call("GET", "/v1/native/me", carol, null).status()).isEqualTo(401);
        // the pool, with hosts and processes, is for admins only; a member reads its own quota
        assertThat(call("GET", "/v1/native/pool", acme, null).status()).isEqualTo(403);
        assertThat(call("GET", "/v1/native/pool", globex, null).status()).isEqualTo(200);
        assertThat(call("GET", "/v1/native/quota", acme, null).body().get("tenant").asString()).isEqualTo("acme");
        // so is the estimate history of every tenant; a member reads its own tenant's
        assertThat(call("GET", "/v1/native/estimate-history/all", acme, null).status()).isEqualTo(403);
        assertThat(call("GET", "/v1/native/estimate-history/all", globex, null).status()).isEqualTo(200);
        assertThat(call("GET", "/v1/native/estimate-history", acme, null).body().get("groups").isArray()).isTrue();
        assertThat(call("GET", "/v1/native/checkpoints/" + output.id() + "/files/../../training.db", acme, null)
                .status()).isEqualTo(404);
        assertThat(call("GET", "/v1/native/checkpoints/" + output.id() + "/files/" + output.files().get(0).path(),
                globex, null).status()).isEqualTo(404);
        assertThat(call("GET", "/v1/fine_tuning/jobs", null, null).status()).isEqualTo(401);
    }

    @Test
    void badInput_getsAClearError_andNothingHalfStoredRemains() throws Exception {
        Response malformed = call("POST", "/v1/fine_tuning/jobs", acme, "{\"model\": ");
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(malformed.body().at("/error/message").asString()).startsWith("The request body is not valid JSON");
        Response unknown = call("POST", "/v1/fine_tuning/jobs", acme, "{\"model\":\"m\",\"training_file\":\"f\","
                + "\"epochs\":3}");
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.body().at("/error/param").asString()).isEqualTo("epochs");
        String file = upload(acme, "train.jsonl", CHAT.repeat(4)).body().get("id").asString();
        Response wrongType = call("POST", "/v1/fine_tuning/jobs", acme, "{\"model\":\"" + model + "\","
                + "\"training_file\":\"" + file + "\",\"method\":{\"type\":\"supervised\",\"supervised\":"
                + "{\"hyperparameters\":{\"n_epochs\":\"three\"}}}}");
        assertThat(wrongType.status()).isEqualTo(400);
        assertThat(wrongType.body().at("/error/param").asString())
                .isEqualTo("method.supervised.hyperparameters.n_epochs");
        Response outOfRange = call("POST", "/v1/fine_tuning/jobs", acme, "{\"model\":\"" + model + "\","
                + "\"training_file\":\"" + file + "\",\"hyperparameters\":{\"n_epochs\":500}}");
        assertThat(outOfRange.status()).isEqualTo(400);
        assertThat(outOfRange.body().at("/error/message").asString()).contains("epochs");
        Response missing = call("POST", "/v1/fine_tuning/jobs", acme, "{\"training_file\":\"" + file + "\"}");
        assertThat(missing.body().at("/error/message").asString()).isEqualTo("Missing required parameter: 'model'");
        assertThat(training.jobs().list(dev.koder.training.api.JobQuery.builder().build()).items())
                .as("no job stored from a bad request").isEmpty();

        Response traversal = upload(acme, "../../etc/evil.jsonl", CHAT);
        assertThat(traversal.status()).isEqualTo(400);
        assertThat(traversal.body().at("/error/message").asString()).contains("'..'");
        Response huge = upload(acme, "big.jsonl", CHAT.repeat(2000));
        assertThat(huge.status()).as(huge.text()).isEqualTo(413);
        Response badLine = upload(acme, "bad.jsonl", CHAT + "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},"
                + "{\"role\":\"user\",\"content\":\"y\"},{\"role\":\"assistant\",\"content\":\"z\"}]}\n");
        assertThat(badLine.status()).isEqualTo(400);
        assertThat(badLine.body().at("/error/message").asString()).startsWith("line 2: two user messages in a row");
        cutOff();
        assertThat(call("GET", "/v1/files", acme, null).body().get("data")).as("only the good upload is kept")
                .hasSize(1);
        try (Stream<Path> kept = Files.list(training.home().resolve("files"))) {
            assertThat(kept.map(p -> p.getFileName().toString())).as("no partial upload left")
                    .containsExactly(file + ".jsonl");
        }
        slowClient();
    }

    /** An upload whose connection drops midway. */
    void cutOff() throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            OutputStream out = s.getOutputStream();
            String part = "--b\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n--b\r\n"
                    + "Content-Disposition: form-data; name=\"file\"; filename=\"cut.jsonl\"\r\n\r\n" + CHAT.repeat(20);
            out.write(("POST /v1/files HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + acme + "\r\nContent-Type: "
                    + "multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n" + part)
                    .getBytes(StandardCharsets.UTF_8));
            out.flush();
        }
        Thread.sleep(500);
    }

    /** A client that sends half a request and stalls is cut off after the idle timeout. */
    void slowClient() throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.getOutputStream().write("GET /v1/files HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.UTF_8));
            s.setSoTimeout(10_000);
            long start = System.nanoTime();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[4096];
            while (in.read(buf) >= 0) {
                // the server may answer 408 before closing
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            assertThat(seconds).as("closed after the 1 s idle timeout").isBetween(0.5, 5.0);
        }
    }

    @Test
    void healthReadinessAndMetrics_needNoKey_andCountJobsRequestsAndOutcomes() throws Exception {
        assertThat(call("GET", "/healthz", null, null).body().get("status").asString()).isEqualTo("ok");
        assertThat(call("GET", "/readyz", null, null).status()).isEqualTo(200);
        String file = upload(acme, "train.jsonl", CHAT.repeat(4)).body().get("id").asString();
        awaitEnd(createJob(acme, file));
        Thread.sleep(200);
        String metrics = call("GET", "/metrics", null, null).text();
        assertThat(metrics).as(metrics).contains("training_jobs{status=\"succeeded\",tier=\"pro\"} 1.0")
                .contains("training_queue_depth{tier=\"free\"} 0.0")
                .contains("training_job_outcomes_total{outcome=\"succeeded\",tier=\"pro\"} 1.0")
                .contains("training_gpus_free")
                .contains("http_server_requests_seconds_count{method=\"POST\",route=\"/v1/fine_tuning/jobs\","
                        + "status=\"200\"} 1");
        assertThat(call("GET", "/v1/nowhere", acme, null).body().at("/error/message").asString())
                .startsWith("Unknown request URL");
    }
}
