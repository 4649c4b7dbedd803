package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A retrieval evaluation set for the encoder objectives: queries, a corpus and relevance judgements, each a JSONL
 * file (docs/DATASETS.md). Either one folder holding {@code queries.jsonl}, {@code corpus.jsonl} and
 * {@code judgements.jsonl}, or the three files named one by one. Relative paths are resolved like the data's.
 *
 * @param path a folder with the three files; or null when they are named one by one
 * @param queries {@code {"id": "q1", "text": "..."}} per line
 * @param corpus {@code {"id": "d1", "text": "...", "title": "..."}} per line, the title optional
 * @param judgements {@code {"query_id": "q1", "document_id": "d1", "relevance": 1}} per line, relevance 0 or more
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RetrievalData(
        @JsonProperty("path") String path,
        @JsonProperty("queries") String queries,
        @JsonProperty("corpus") String corpus,
        @JsonProperty("judgements") String judgements) {

    /** File names in a retrieval folder. */
    public static final String QUERIES_FILE = "queries.jsonl";
    /** File names in a retrieval folder. */
    public static final String CORPUS_FILE = "corpus.jsonl";
    /** File names in a retrieval folder. */
    public static final String JUDGEMENTS_FILE = "judgements.jsonl";

    /** @param folder a folder with queries.jsonl, corpus.jsonl and judgements.jsonl @return the set */
    public static RetrievalData folder(String folder) {
        return new RetrievalData(folder, null, null, null);
    }

    /** @param folder a folder with queries.jsonl, corpus.jsonl and judgements.jsonl @return the set */
    public static RetrievalData folder(java.nio.file.Path folder) {
        return folder(folder.toString());
    }

    /**
     * @param queries the queries' file
     * @param corpus the corpus' file
     * @param judgements the judgements' file
     * @return the set
     */
    public static RetrievalData files(String queries, String corpus, String judgements) {
        return new RetrievalData(null, queries, corpus, judgements);
    }

    /** @return the queries' file: named, or in the folder */
    public String queriesFile() {
        return queries != null ? queries : path + "/" + QUERIES_FILE;
    }

    /** @return the corpus' file: named, or in the folder */
    public String corpusFile() {
        return corpus != null ? corpus : path + "/" + CORPUS_FILE;
    }

    /** @return the judgements' file: named, or in the folder */
    public String judgementsFile() {
        return judgements != null ? judgements : path + "/" + JUDGEMENTS_FILE;
    }

    void check(Checks c, String at) {
        boolean files = queries != null || corpus != null || judgements != null;
        if (path != null && files) {
            c.add(at, "name either a folder (path) or the three files (queries, corpus, judgements), not both");
            return;
        }
        if (path == null && !files) {
            c.add(at, "needs a folder (path) or the three files (queries, corpus, judgements)");
            return;
        }
        if (path != null) {
            checkPath(c, Checks.at(at, "path"), path);
            return;
        }
        for (String[] f : new String[][] {{"queries", queries}, {"corpus", corpus}, {"judgements", judgements}}) {
            if (c.required(Checks.at(at, f[0]), f[1])) {
                checkPath(c, Checks.at(at, f[0]), f[1]);
            }
        }
    }

    private static void checkPath(Checks c, String at, String p) {
        c.notBlank(at, p);
        c.maxLength(at, p, DatasetRef.MAX_PATH_LENGTH);
    }
}
