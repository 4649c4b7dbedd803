package dev.koder.training.slurm;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The few slurmrestd calls the executor needs ({@value SlurmSettings#API}): submit a batch job, read a job, cancel or
 * signal it, list the nodes. Authenticates with {@code X-SLURM-USER-NAME} and {@code X-SLURM-USER-TOKEN}; a token file
 * is read again whenever it changes, so a rotated token is used from the next call.
 */
final class SlurmClient {

    static final JsonMapper JSON = JsonMapper.builder().build();

    private final SlurmSettings settings;
    private final HttpClient http;
    private String token;
    private FileTime tokenRead;

    SlurmClient(SlurmSettings settings) {
        this.settings = settings;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    /**
     * @param script the batch script
     * @param job the job's properties (v0.0.38 {@code job_properties})
     * @return the job id
     */
    long submit(String script, Map<String, Object> job) throws IOException {
        JsonNode r = send("POST", "/job/submit", Map.of("script", script, "job", job));
        long id = r.path("job_id").asLong(-1);
        if (id < 0) {
            throw new SlurmException(200, "slurmrestd accepted the job but gave no job id: " + r);
        }
        return id;
    }

    /** @return the job, or empty when Slurm no longer knows it (ended longer ago than MinJobAge) */
    Optional<SlurmJob> job(long id) throws IOException {
        JsonNode r;
        try {
            r = send("GET", "/job/" + id, null);
        } catch (SlurmException e) {
            if (e.getMessage().contains("Invalid job id") || e.status() == 404) {
                return Optional.empty();
            }
            throw e;
        }
        for (JsonNode j : r.path("jobs")) {
            if (j.path("job_id").asLong() == id) {
                return Optional.of(parse(j));
            }
        }
        return Optional.empty();
    }

    /**
     * @param comment the comment a job was submitted with
     * @return the jobs Slurm still knows with exactly that comment, newest first
     */
    List<SlurmJob> jobsWithComment(String comment) throws IOException {
        JsonNode r = send("GET", "/jobs", null);
        List<SlurmJob> out = new ArrayList<>();
        for (JsonNode j : r.path("jobs")) {
            if (comment.equals(j.path("comment").asString(""))) {
                out.add(parse(j));
            }
        }
        out.sort(java.util.Comparator.comparingLong(SlurmJob::id).reversed());
        return out;
    }

    private static SlurmJob parse(JsonNode j) {
        List<String> gres = new ArrayList<>();
        j.path("gres_detail").forEach(g -> gres.add(g.asString()));
        String state = j.path("job_state").asString("UNKNOWN");
        Integer code = state.equals("PENDING") || state.equals("RUNNING") || !j.has("exit_code") ? null
                : j.path("exit_code").asInt();
        String node = j.path("nodes").asString("");
        return new SlurmJob(j.path("job_id").asLong(), state, code, node.isEmpty() ? null : node,
                SlurmJob.indexes(gres));
    }

    /** Cancels a job as scancel does: SIGTERM, then SIGKILL after the cluster's KillWait. */
    void cancel(long id) throws IOException {
        send("DELETE", "/job/" + id, null);
    }

    /** Sends a signal (KILL, TERM...) to every process of a job. */
    void signal(long id, String signal) throws IOException {
        send("DELETE", "/job/" + id + "?signal=" + signal, null);
    }

    /** @return the nodes, as slurmrestd lists them */
    JsonNode nodes() throws IOException {
        return send("GET", "/nodes", null);
    }

    private JsonNode send(String method, String path, Object body) throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(settings.url() + "/slurm/" + SlurmSettings.API
                + path)).timeout(Duration.ofSeconds(30)).header("X-SLURM-USER-NAME", settings.user())
                .header("X-SLURM-USER-TOKEN", token()).header("Accept", "application/json");
        if (body != null) {
            b.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<String> response;
        try {
            response = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new SlurmException("slurmrestd at " + settings.url() + " did not answer " + method + " " + path
                    + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SlurmException("interrupted while calling slurmrestd", e);
        }
        JsonNode r;
        try {
            r = response.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(response.body());
        } catch (JacksonException e) {
            throw new SlurmException(response.statusCode(), "slurmrestd answered " + method + " " + path + " with "
                    + response.statusCode() + " and no JSON: " + abbreviate(response.body()));
        }
        List<String> errors = new ArrayList<>();
        for (JsonNode e : r.path("errors")) {
            String text = e.path("error").asString("");
            String description = e.path("description").asString("");
            errors.add(description.isEmpty() ? text : text + " (" + description + ")");
        }
        if (response.statusCode() >= 300 || !errors.isEmpty()) {
            String why = errors.isEmpty() ? abbreviate(response.body()) : String.join("; ", errors);
            if (response.statusCode() == 401) {
                why = "the token for user " + settings.user() + " was refused (expired? make a new one with "
                        + "'scontrol token username=" + settings.user() + "')";
            }
            throw new SlurmException(response.statusCode(), "slurmrestd refused " + method + " " + path + " ("
                    + response.statusCode() + "): " + why);
        }
        return r;
    }

    private synchronized String token() throws IOException {
        if (settings.tokenFile() == null) {
            return settings.token();
        }
        FileTime modified;
        try {
            modified = Files.getLastModifiedTime(settings.tokenFile());
        } catch (IOException e) {
            throw new SlurmException("cannot read the Slurm token file " + settings.tokenFile() + " (training.slurm."
                    + "token-file): " + e.getMessage(), e);
        }
        if (token == null || !modified.equals(tokenRead)) {
            String text = Files.readString(settings.tokenFile()).strip();
            token = text.startsWith("SLURM_JWT=") ? text.substring("SLURM_JWT=".length()) : text;
            tokenRead = modified;
        }
        return token;
    }

    private static String abbreviate(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }
}
