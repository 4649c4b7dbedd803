package dev.koder.training.mlflow;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Replays the 37 exchanges recorded from a real MLflow 3.6 server ({@code mlflow-rest/transcript.json}, copied
 * from the project's shared reference data) against {@link FakeMlflowServer}: every answer must have the real
 * status, the real error code, and for successes the real shape and values (ids the server made up are mapped,
 * times ignored). So the fake the other tests lean on behaves like the real server where it matters.
 */
class MlflowContractTest {

    private static final Set<String> TIMES = Set.of("creation_time", "last_update_time", "creation_timestamp",
            "last_updated_timestamp");

    /** SHA-256 of the recording in the project's reference data ({@code mlflow-rest/transcript.json}). */
    static final String RECORDED_SHA256 = "e1557180fe61d5cfb1b8c3513f4a51ca1650ddd186de6d5b758b4eeec257a311";

    @Test
    void theCopyInTheTests_isTheRecording() throws Exception {
        try (InputStream in = getClass().getResourceAsStream("/mlflow-rest/transcript.json")) {
            assertThat(java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(in.readAllBytes()))).isEqualTo(RECORDED_SHA256);
        }
    }

    @Test
    void theFakeAnswersEveryRecordedExchangeAsTheRealServerDid() throws Exception {
        JsonNode transcript;
        try (InputStream in = getClass().getResourceAsStream("/mlflow-rest/transcript.json")) {
            transcript = FakeMlflowServer.JSON.readTree(in);
        }
        List<JsonNode> exchanges = new ArrayList<>();
        transcript.path("exchanges").forEach(exchanges::add);
        assertThat(exchanges).hasSize(37);
        Map<String, String> ids = new LinkedHashMap<>();
        HttpClient http = HttpClient.newHttpClient();
        List<String> mismatches = new ArrayList<>();
        try (FakeMlflowServer fake = new FakeMlflowServer()) {
            for (JsonNode x : exchanges) {
                String note = x.path("note").asString();
                String path = map(x.path("path").asString(), ids);
                JsonNode request = x.get("request");
                HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(fake.uri() + path));
                String method = x.path("method").asString();
                if (request == null || request.isNull()) {
                    b.method(method, HttpRequest.BodyPublishers.noBody());
                } else if (request.isString()) {
                    // "<N raw bytes>": a body that is not JSON, sent as such
                    int n = Integer.parseInt(request.asString().replaceAll("\\D", ""));
                    b.method(method, HttpRequest.BodyPublishers.ofByteArray(new byte[n]))
                            .header("Content-Type", "application/octet-stream");
                } else {
                    b.method(method, HttpRequest.BodyPublishers.ofString(map(request.toString(), ids)))
                            .header("Content-Type", "application/json");
                }
                HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
                JsonNode got = FakeMlflowServer.JSON.readTree(r.body());
                JsonNode want = x.path("response");
                learnIds(want, got, ids);
                if (r.statusCode() != x.path("status").asInt()) {
                    mismatches.add(note + ": status " + r.statusCode() + ", the real server " + x.path("status").asInt()
                            + " (" + r.body() + ")");
                    continue;
                }
                if (r.statusCode() != 200) {
                    if (!got.path("error_code").asString().equals(want.path("error_code").asString())) {
                        mismatches.add(note + ": error " + got.path("error_code") + ", the real server "
                                + want.path("error_code"));
                    }
                    continue;
                }
                compare(note, "", FakeMlflowServer.JSON.readTree(map(want.toString(), ids)), got, mismatches);
            }
        }
        assertThat(mismatches).isEmpty();
    }

    private static String map(String s, Map<String, String> ids) {
        for (Map.Entry<String, String> e : ids.entrySet()) {
            s = s.replace(e.getKey(), e.getValue());
        }
        return s;
    }

    /** Run ids are random: the recorded one and the fake's are paired when a run is made. */
    private static void learnIds(JsonNode want, JsonNode got, Map<String, String> ids) {
        String recorded = want.path("run").path("info").path("run_id").asString("");
        String fake = got.path("run").path("info").path("run_id").asString("");
        if (!recorded.isEmpty() && !fake.isEmpty()) {
            ids.put(recorded, fake);
        }
    }

    private static void compare(String note, String at, JsonNode want, JsonNode got, List<String> mismatches) {
        if (want.isObject()) {
            if (!got.isObject()) {
                mismatches.add(note + ": " + at + " is " + got + ", the real server " + want);
                return;
            }
            Set<String> wantKeys = new TreeSet<>();
            want.propertyNames().forEach(wantKeys::add);
            Set<String> gotKeys = new TreeSet<>();
            got.propertyNames().forEach(gotKeys::add);
            if (!wantKeys.equals(gotKeys)) {
                mismatches.add(note + ": " + at + " has keys " + gotKeys + ", the real server " + wantKeys);
                return;
            }
            for (Iterator<String> it = wantKeys.iterator(); it.hasNext();) {
                String k = it.next();
                if (!TIMES.contains(k)) {
                    compare(note, at + "/" + k, want.get(k), got.get(k), mismatches);
                }
            }
        } else if (want.isArray()) {
            if (!got.isArray() || got.size() != want.size()) {
                mismatches.add(note + ": " + at + " is " + got + ", the real server " + want);
                return;
            }
            for (int i = 0; i < want.size(); i++) {
                compare(note, at + "/" + i, want.get(i), got.get(i), mismatches);
            }
        } else if (want.isNumber() && got.isNumber() ? want.asDouble() != got.asDouble()
                : !want.asString().equals(got.asString())) {
            mismatches.add(note + ": " + at + " is " + got + ", the real server " + want);
        }
    }
}
