package dev.koder.training.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.AccessKeys.Role;
import dev.koder.training.api.JobQuery;
import dev.koder.training.api.Tier;
import dev.koder.training.core.Training;
import dev.koder.training.spi.Json;
import dev.koder.training.tck.Samples;
import dev.koder.training.tck.ScriptedRunner;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Bad input for every field of OpenAI's job-create request, generated from a fixed seed: each request is a valid
 * one with one field made wrong (a wrong type, out of range, a fraction, a path, a control character, a field
 * that does not apply, an unknown one). Every answer is a 4xx in OpenAI's envelope whose param is the field as
 * the client wrote it (or the part of it at fault: {@code metadata.k}), and nothing is stored.
 */
class JobCreateInputTest {

    static final String CHAT = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},"
            + "{\"role\":\"assistant\",\"content\":\"HI\"}]}\n";
    static final String PREFS = "{\"input\":{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]},"
            + "\"preferred_output\":[{\"role\":\"assistant\",\"content\":\"HI\"}],"
            + "\"non_preferred_output\":[{\"role\":\"assistant\",\"content\":\"hi\"}]}\n";
    static final String HP = "method.supervised.hyperparameters.";
    static final String DPO_HP = "method.dpo.hyperparameters.";

    @TempDir
    Path dir;

    final HttpClient http = HttpClient.newHttpClient();

    /** One way to break a request: where, and the bad request. */
    record Case(String param, String description, JsonNode request) {
    }

    @Test
    void everyBadFieldOfAJobCreate_getsA4xxNamingIt_andStoresNothing() throws Exception {
        Path model = Samples.tinyModelFolder(dir.resolve("tiny"));
        // a link in the model root that leads out of it
        Files.createSymbolicLink(dir.resolve("escape"), Path.of("/etc"));
        try (Training training = Training.builder().home(dir.resolve("home")).property("training.models.roots",
                dir.toString()).runner(new ScriptedRunner("fake", ScriptedRunner.allMethods())).runJobs(false).build();
                TrainingServer server = TrainingServer.builder(training).port(0).start()) {
            String key = training.keys().create("acme", Role.MEMBER, "alice", Tier.PRO).key();
            String other = training.keys().create("globex", Role.MEMBER, "bob", Tier.FREE).key();
            String base = "http://127.0.0.1:" + server.port();
            String chat = upload(base, key, CHAT.repeat(4));
            String prefs = upload(base, key, PREFS.repeat(4));
            String theirs = upload(base, other, CHAT.repeat(4));
            ObjectNode valid = (ObjectNode) Json.MAPPER.readTree("{\"model\":\"tiny\",\"training_file\":\"" + chat
                    + "\",\"suffix\":\"ok\",\"seed\":7,\"metadata\":{\"team\":\"search\"},\"method\":{\"type\":"
                    + "\"supervised\",\"supervised\":{\"hyperparameters\":{\"n_epochs\":1,\"batch_size\":4,"
                    + "\"learning_rate_multiplier\":1}}}}");
            ObjectNode validDpo = (ObjectNode) Json.MAPPER.readTree("{\"model\":\"tiny\",\"training_file\":\"" + prefs
                    + "\",\"method\":{\"type\":\"dpo\",\"dpo\":{\"hyperparameters\":{\"beta\":0.1}}}}");
            // the valid requests are valid: a job each (then cancelled), so the cases below fail for their field
            for (ObjectNode ok : List.of(valid, validDpo)) {
                HttpResponse<String> r = post(base, key, ok.toString());
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                training.jobs().cancel(Json.MAPPER.readTree(r.body()).get("id").asString());
            }
            int jobsBefore = training.jobs().list(JobQuery.builder().limit(1000).build()).items().size();

            List<Case> cases = cases(new Random(20261202), valid, validDpo, model, theirs);
            assertThat(cases).hasSizeGreaterThan(150);
            List<String> wrong = new ArrayList<>();
            java.util.Set<String> modelAnswers = new java.util.TreeSet<>();
            for (Case c : cases) {
                HttpResponse<String> r = post(base, key, c.request().toString());
                JsonNode body;
                try {
                    body = Json.MAPPER.readTree(r.body());
                } catch (RuntimeException e) {
                    wrong.add(c.description() + ": not JSON: " + r.body());
                    continue;
                }
                JsonNode error = body.path("error");
                String problem = r.statusCode() < 400 || r.statusCode() >= 500 ? "status " + r.statusCode()
                        : !error.path("message").isString() || error.path("message").asString().isBlank()
                        ? "no message" : !error.path("type").isString() ? "no type"
                        : !error.has("param") || !error.has("code") ? "envelope without param or code"
                        : !names(error.path("param").asString(null), c.param()) ? "param "
                        + error.path("param") + ", not " + c.param()
                        : error.path("message").asString().contains(dir.toString()) ? "a server path in the message"
                        : null;
                if (problem != null) {
                    wrong.add(c.description() + ": " + problem + ": " + r.body());
                }
                JsonNode m = c.request().path("model");
                // a name refused for its form (the spec's own rule) says nothing about the server's files
                String said = error.path("message").asString("");
                if (c.param().equals("model") && m.isString() && !m.asString().isBlank()
                        && m.asString().length() <= 400 && m.asString().chars().noneMatch(ch -> ch < 32)
                        && !said.startsWith("model: must be a Hugging Face model id")) {
                    modelAnswers.add(said);
                }
            }
            assertThat(wrong).as("of " + cases.size() + " bad requests").isEmpty();
            // a model that is not allowed gets one answer, whatever is or is not at that path
            assertThat(modelAnswers).hasSize(1);
            assertThat(training.jobs().list(JobQuery.builder().limit(1000).build()).items())
                    .as("nothing stored from a bad request").hasSize(jobsBefore);
        }
    }

    /** @return whether an error's param is the field, or a part of it ({@code metadata.k}, {@code integrations[0]}) */
    static boolean names(String param, String field) {
        return param != null && (param.equals(field) || param.startsWith(field + ".") || param.startsWith(field + "["));
    }

    /** Each field with values that are wrong for it; the seed adds random wrong values of each kind. */
    static List<Case> cases(Random random, ObjectNode valid, ObjectNode validDpo, Path model, String theirs) {
        Map<String, List<Object>> bad = new LinkedHashMap<>();
        List<Object> notText = List.of(42, 1.5, true, List.of("x"), Map.of("a", "b"));
        List<Object> notInt = List.of("3", 2.5, 1e300, true, List.of(1), Map.of("n", 1), "auto ");
        bad.put("model", concat(notText, List.of("", " ", "none/such-model", "/etc", "/etc/passwd", "../tiny",
                "tiny/../../home", dir(model, "../home"), "home", "home/jobs", "escape", "escape/ssl",
                dir(model, "../escape"), "ft:none:acme::ftjob-0000", "ckpt-0000", "tiny\u0000",
                "x".repeat(401))));
        bad.put("training_file", concat(notText, List.of("", "file-nope", theirs, "../file", "file-\u0001")));
        bad.put("validation_file", concat(notText, List.of("", "file-nope", theirs)));
        bad.put("suffix", concat(notText, List.of("x".repeat(65))));
        bad.put("seed", List.of("7", 1.5, -1, 2147483648L, true, List.of(7), Map.of()));
        bad.put("metadata", List.of("x", 42, List.of("a"), Map.of("k", 1), Map.of("k", Map.of()),
                Map.of("k".repeat(65), "v"), Map.of("k", "v".repeat(513)), sixteenPlusOne()));
        bad.put("method", List.of("supervised", 42, List.of(), Map.of(), Map.of("type", "bogus"),
                Map.of("type", 1), Map.of("type", "reinforcement")));
        bad.put("integrations", List.of("wandb", 42, List.of(Map.of("type", "slack")), List.of("x"),
                List.of(Map.of("type", "wandb"))));
        bad.put(HP + "n_epochs", concat(notInt, List.of(0, -1, 51, 2.9)));
        bad.put(HP + "batch_size", concat(notInt, List.of(0, -2, 257)));
        bad.put(HP + "learning_rate_multiplier", List.of("x", 0, -1, 10.5, true, List.of(1), "auto "));
        bad.put(DPO_HP + "beta", List.of("x", 0, -0.5, 2.5, true, List.of(1)));
        bad.put(DPO_HP + "n_epochs", concat(notInt, List.of(0, 51)));

        List<Case> cases = new ArrayList<>();
        bad.forEach((field, values) -> {
            ObjectNode template = field.startsWith(DPO_HP) ? validDpo : valid;
            for (Object v : values) {
                cases.add(new Case(field, field + "=" + v, with(template, field, Json.MAPPER.valueToTree(v))));
            }
            // and random values of the wrong kinds
            for (int i = 0; i < 4; i++) {
                Object v = randomWrong(random, field);
                cases.add(new Case(field, field + "=" + v + " (random)", with(template, field,
                        Json.MAPPER.valueToTree(v))));
            }
        });
        // fields that do not apply, or do not exist
        cases.add(new Case(HP + "beta", "beta on supervised", with(valid, HP + "beta", Json.MAPPER.valueToTree(0.1))));
        cases.add(new Case("method.dpo", "dpo beside supervised", with(valid, "method.dpo",
                Json.MAPPER.valueToTree(Map.of()))));
        cases.add(new Case("method.supervised.extra", "unknown in method.supervised", with(valid,
                "method.supervised.extra", Json.MAPPER.valueToTree(1))));
        cases.add(new Case("hyperparameters", "legacy hyperparameters beside method", with(valid, "hyperparameters",
                Json.MAPPER.valueToTree(Map.of("n_epochs", 1)))));
        cases.add(new Case("training_file", "supervised on preference data", with(valid, "training_file",
                validDpo.get("training_file"))));
        cases.add(new Case("training_file", "dpo on chat data", with(validDpo, "training_file",
                valid.get("training_file"))));
        for (int i = 0; i < 6; i++) {
            String name = randomName(random);
            cases.add(new Case(name, "unknown field " + name, with(valid, name, Json.MAPPER.valueToTree(i))));
            cases.add(new Case(HP + name, "unknown hyperparameter " + name, with(valid, HP + name,
                    Json.MAPPER.valueToTree(i))));
        }
        for (String required : List.of("model", "training_file")) {
            ObjectNode missing = valid.deepCopy();
            missing.remove(required);
            cases.add(new Case(required, "no " + required, missing));
            cases.add(new Case(required, required + "=null", with(valid, required, Json.MAPPER.nullNode())));
        }
        return cases;
    }

    static Object randomWrong(Random random, String field) {
        Function<Random, Object> pick = switch (random.nextInt(5)) {
            case 0 -> r -> r.nextBoolean();
            case 1 -> r -> List.of(r.nextInt(100));
            case 2 -> r -> Map.of(randomName(r), r.nextInt(9));
            case 3 -> r -> field.contains("hyperparameters") || field.equals("seed") ? (Object) (r.nextDouble() * -1000
                    - 1) : r.nextInt(1000);
            default -> r -> field.contains("hyperparameters") || field.equals("seed") || field.equals("metadata")
                    || field.equals("method") || field.equals("integrations") ? randomName(r) + "\u0007"
                    : "../" + randomName(r);
        };
        return pick.apply(random);
    }

    static String randomName(Random random) {
        StringBuilder b = new StringBuilder("x_");
        for (int i = 0; i < 3 + random.nextInt(8); i++) {
            b.append((char) ('a' + random.nextInt(26)));
        }
        return b.toString();
    }

    static Map<String, String> sixteenPlusOne() {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < 17; i++) {
            m.put("k" + i, "v");
        }
        return m;
    }

    static String dir(Path model, String relative) {
        return model.resolve(relative).toString();
    }

    @SafeVarargs
    static <T> List<T> concat(List<? extends T>... lists) {
        List<T> out = new ArrayList<>();
        for (List<? extends T> l : lists) {
            out.addAll(l);
        }
        return out;
    }

    /** A copy of the request with the field at the dotted path set (objects on the way made as needed). */
    static JsonNode with(ObjectNode request, String path, JsonNode value) {
        ObjectNode copy = request.deepCopy();
        String[] parts = path.split("\\.");
        ObjectNode at = copy;
        for (int i = 0; i < parts.length - 1; i++) {
            JsonNode next = at.get(parts[i]);
            at = next instanceof ObjectNode o ? o : at.putObject(parts[i]);
        }
        at.set(parts[parts.length - 1], value);
        return copy;
    }

    HttpResponse<String> post(String base, String key, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + "/v1/fine_tuning/jobs"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    String upload(String base, String key, String content) throws Exception {
        String boundary = "----b7";
        String body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n"
                + "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"d.jsonl\"\r\n"
                + "Content-Type: application/jsonl\r\n\r\n" + content + "\r\n--" + boundary + "--\r\n";
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + "/v1/files"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "multipart/form-data; boundary="
                        + boundary).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Json.MAPPER.readTree(r.body()).get("id").asString();
    }
}
