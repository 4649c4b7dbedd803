package dev.koder.training.core.data;

import dev.koder.training.api.RetrievalData;
import dev.koder.training.api.Violation;
import dev.koder.training.spi.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * Checks a retrieval evaluation set (docs/DATASETS.md) in one streamed pass per file: queries and corpus lines
 * {@code {"id", "text"}} with unique ids, judgements {@code {"query_id", "document_id", "relevance"}} naming known
 * ids, and at least one query with a relevant document. Every finding names its file and line; at most a bounded
 * number are listed, the rest counted.
 */
public final class RetrievalSetValidator {

    private static final String AT = "/retrieval_data";

    private final int maxIssues;
    private final List<Violation> found = new ArrayList<>();
    private long more;

    /** @param maxIssues findings listed; later ones are counted */
    public RetrievalSetValidator(int maxIssues) {
        this.maxIssues = maxIssues;
    }

    /**
     * @param data the set, with absolute paths
     * @return what is wrong; empty when the set can be scored on
     */
    public List<Violation> validate(RetrievalData data) {
        String q = data.path() == null ? AT + "/queries" : AT + "/path";
        String c = data.path() == null ? AT + "/corpus" : AT + "/path";
        String j = data.path() == null ? AT + "/judgements" : AT + "/path";
        Set<String> queries = ids(Path.of(data.queriesFile()), q, Set.of("id", "text"));
        Set<String> corpus = ids(Path.of(data.corpusFile()), c, Set.of("id", "text", "title"));
        Path judged = Path.of(data.judgementsFile());
        if (queries != null && corpus != null) {
            judgements(judged, j, queries, corpus);
        } else if (!Files.isRegularFile(judged)) {
            // its lines cannot be checked against ids that could not be read, but its absence is a problem of its own
            add(j, judged, 0, Files.isDirectory(judged) ? "is a folder, not a file" : "file not found");
        }
        List<Violation> out = new ArrayList<>(found);
        if (more > 0) {
            out.add(new Violation(AT, more + " more problems in the retrieval set"));
        }
        return out;
    }

    /**
     * Checks one file of a retrieval set on its own, as an upload is: its lines' shape (a queries or corpus file
     * when its first entry has "id", else a judgements file). Whether judgements name known ids is checked when a
     * job names the three files.
     *
     * @param file the file
     * @param shown the name its problems are given (an upload's file name)
     * @return what is wrong, each "name:line: message"
     */
    public List<Violation> file(Path file, String shown) {
        String at = "";
        if (judgementsFile(file)) {
            judgements(file, at, null, null);
        } else {
            ids(file, at, Set.of("id", "text", "title"));
        }
        List<Violation> out = new ArrayList<>();
        for (Violation v : found) {
            out.add(new Violation(v.pointer(), shown + v.message().substring(file.toString().length())));
        }
        return out;
    }

    /**
     * @param line the first entry of a file
     * @return whether it is an entry of a retrieval set (an id and a text, or a judgement), not a dataset example
     */
    public static boolean retrievalEntry(JsonNode line) {
        return line.has("id") && line.has("text") || line.has("query_id") && line.has("document_id");
    }

    private boolean judgementsFile(Path file) {
        try (InputStream in = Files.newInputStream(file);
                JsonlLines lines = new JsonlLines(in, DatasetValidator.MAX_LINE_BYTES)) {
            for (JsonlLines.Line line = lines.next(); line != null; line = lines.next()) {
                if (line.problem() == null && !line.text().isBlank()) {
                    return Json.MAPPER.readTree(line.text()).has("query_id");
                }
            }
        } catch (IOException | JacksonException e) {
            // reported by the check itself
        }
        return false;
    }

    private void add(String at, Path file, long line, String message) {
        if (found.size() < maxIssues) {
            found.add(new Violation(at, file + (line > 0 ? ":" + line : "") + ": " + message));
        } else {
            more++;
        }
    }

    /** The ids of a queries or corpus file, or null when it cannot be read. */
    private Set<String> ids(Path file, String at, Set<String> keys) {
        Set<String> ids = new HashSet<>();
        boolean[] ok = {true};
        lines(file, at, (line, node) -> {
            JsonNode id = node.get("id");
            JsonNode text = node.get("text");
            if (id == null || !id.isTextual() || id.asString().isBlank()) {
                add(at, file, line, "needs \"id\", a non-empty string");
            } else if (!ids.add(id.asString())) {
                add(at, file, line, "id \"" + id.asString() + "\" appears twice");
            }
            if (text == null || !text.isTextual() || text.asString().isBlank()) {
                add(at, file, line, "needs \"text\", a non-empty string");
            }
            if (node.has("title") && keys.contains("title") && !node.get("title").isTextual()) {
                add(at, file, line, "\"title\" must be a string");
            }
        }, ok);
        if (ok[0] && ids.isEmpty()) {
            add(at, file, 0, "holds no entries");
        }
        return ok[0] ? ids : null;
    }

    private void judgements(Path file, String at, Set<String> queries, Set<String> corpus) {
        Map<String, Integer> relevant = new HashMap<>();
        boolean[] ok = {true};
        lines(file, at, (line, node) -> {
            JsonNode q = node.get("query_id");
            JsonNode d = node.get("document_id");
            JsonNode r = node.get("relevance");
            // without the ids (a judgements file checked alone), only that each names one
            if (q == null || !q.isTextual() || queries != null && !queries.contains(q.asString())) {
                add(at, file, line, "\"query_id\" must name a query of the queries file, got " + shown(q));
            }
            if (d == null || !d.isTextual() || corpus != null && !corpus.contains(d.asString())) {
                add(at, file, line, "\"document_id\" must name a document of the corpus, got " + shown(d));
            }
            if (r != null && (!r.isNumber() || r.asDouble() < 0)) {
                add(at, file, line, "\"relevance\" must be a number of at least 0 (absent: 1), got " + shown(r));
            } else if ((r == null || r.asDouble() > 0) && q != null && q.isTextual()) {
                relevant.merge(q.asString(), 1, Integer::sum);
            }
        }, ok);
        if (ok[0] && relevant.isEmpty()) {
            add(at, file, 0, "judges no document relevant to any query: there is nothing to score on");
        }
    }

    private interface LineCheck {
        void check(long line, JsonNode node);
    }

    private void lines(Path file, String at, LineCheck check, boolean[] ok) {
        try (InputStream in = Files.newInputStream(file);
                JsonlLines lines = new JsonlLines(in, DatasetValidator.MAX_LINE_BYTES)) {
            for (JsonlLines.Line line = lines.next(); line != null; line = lines.next()) {
                if (line.problem() != null) {
                    add(at, file, line.number(), line.problem());
                } else if (!line.text().isBlank()) {
                    JsonNode node;
                    try {
                        node = Json.MAPPER.readTree(line.text());
                    } catch (JacksonException e) {
                        add(at, file, line.number(), "not valid JSON: " + e.getOriginalMessage());
                        continue;
                    }
                    if (!node.isObject()) {
                        add(at, file, line.number(), "must be a JSON object");
                    } else {
                        check.check(line.number(), node);
                    }
                }
            }
        } catch (NoSuchFileException e) {
            ok[0] = false;
            add(at, file, 0, "file not found");
        } catch (IOException e) {
            ok[0] = false;
            add(at, file, 0, Files.isDirectory(file) ? "is a folder, not a file" : "cannot be read: " + e.getMessage());
        }
    }

    private static String shown(JsonNode v) {
        if (v == null) {
            return "nothing";
        }
        String s = v.toString();
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }
}
