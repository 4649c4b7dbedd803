package dev.koder.training.core.data;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.RetrievalData;
import dev.koder.training.api.Violation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The retrieval evaluation set: its three files, each problem at its file and line, under /retrieval_data. */
class RetrievalSetValidatorTest {

    @TempDir
    Path dir;

    Path folder(String queries, String corpus, String judgements) throws IOException {
        Path f = Files.createDirectories(dir.resolve("retrieval"));
        Files.writeString(f.resolve("queries.jsonl"), queries);
        Files.writeString(f.resolve("corpus.jsonl"), corpus);
        Files.writeString(f.resolve("judgements.jsonl"), judgements);
        return f;
    }

    static final String QUERIES = "{\"id\":\"q1\",\"text\":\"cheap flights\"}\n{\"id\":\"q2\",\"text\":\"hotels\"}\n";
    static final String CORPUS = "{\"id\":\"d1\",\"title\":\"Fares\",\"text\":\"Low-cost airfares\"}\n"
            + "{\"id\":\"d2\",\"text\":\"Hotel deals\"}\n";
    static final String JUDGEMENTS = "{\"query_id\":\"q1\",\"document_id\":\"d1\",\"relevance\":1}\n"
            + "{\"query_id\":\"q2\",\"document_id\":\"d2\"}\n";

    @Test
    void aGoodFolder_andTheSameThreeFilesNamedOneByOne_haveNoProblems() throws IOException {
        Path f = folder(QUERIES, CORPUS, JUDGEMENTS);
        RetrievalSetValidator v = new RetrievalSetValidator(20);
        assertThat(v.validate(RetrievalData.folder(f))).isEmpty();
        assertThat(v.validate(RetrievalData.files(f.resolve("queries.jsonl").toString(),
                f.resolve("corpus.jsonl").toString(), f.resolve("judgements.jsonl").toString()))).isEmpty();
    }

    @Test
    void eachBadLine_isNamedWithItsFileAndLine() throws IOException {
        Path f = folder(QUERIES + "{\"id\":\"q1\",\"text\":\"again\"}\n{\"text\":\"no id\"}\n",
                CORPUS + "{\"id\":\"d3\",\"text\":\"\"}\nnot json\n",
                JUDGEMENTS + "{\"query_id\":\"q9\",\"document_id\":\"d1\"}\n"
                        + "{\"query_id\":\"q1\",\"document_id\":\"d7\"}\n"
                        + "{\"query_id\":\"q1\",\"document_id\":\"d2\",\"relevance\":-1}\n");
        String q = f.resolve("queries.jsonl").toString();
        String c = f.resolve("corpus.jsonl").toString();
        String j = f.resolve("judgements.jsonl").toString();
        assertThat(new RetrievalSetValidator(20).validate(RetrievalData.folder(f))).containsExactly(
                new Violation("/retrieval_data/path", q + ":3: id \"q1\" appears twice"),
                new Violation("/retrieval_data/path", q + ":4: needs \"id\", a non-empty string"),
                new Violation("/retrieval_data/path", c + ":3: needs \"text\", a non-empty string"),
                new Violation("/retrieval_data/path", c + ":4: not valid JSON: Unrecognized token 'not': was "
                        + "expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')"),
                new Violation("/retrieval_data/path", j + ":3: \"query_id\" must name a query of the queries file, "
                        + "got \"q9\""),
                new Violation("/retrieval_data/path", j + ":4: \"document_id\" must name a document of the corpus, "
                        + "got \"d7\""),
                new Violation("/retrieval_data/path", j + ":5: \"relevance\" must be a number of at least 0 "
                        + "(absent: 1), got -1"));
    }

    @Test
    void missingFiles_nothingJudgedRelevant_andTheCap_areReported() throws IOException {
        RetrievalData files = RetrievalData.files(dir.resolve("q.jsonl").toString(), dir.resolve("c.jsonl").toString(),
                dir.resolve("j.jsonl").toString());
        assertThat(new RetrievalSetValidator(20).validate(files)).extracting(Violation::pointer).containsExactly(
                "/retrieval_data/queries", "/retrieval_data/corpus", "/retrieval_data/judgements");
        Path f = folder(QUERIES, CORPUS, "{\"query_id\":\"q1\",\"document_id\":\"d1\",\"relevance\":0}\n");
        assertThat(new RetrievalSetValidator(20).validate(RetrievalData.folder(f))).singleElement().satisfies(v ->
                assertThat(v.message()).endsWith("judges no document relevant to any query: there is nothing to "
                        + "score on"));
        Path bad = folder("x\n".repeat(30), CORPUS, JUDGEMENTS);
        assertThat(new RetrievalSetValidator(5).validate(RetrievalData.folder(bad))).hasSize(6).last()
                .satisfies(v -> assertThat(v.message()).endsWith("more problems in the retrieval set"));
    }
}
