package dev.koder.training.core.data;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetIssue;
import dev.koder.training.api.DatasetReport;
import dev.koder.training.api.Severity;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class DatasetValidatorTest {

    @TempDir
    Path dir;

    static final String CHAT_OK = "{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
            + "{\"role\":\"user\",\"content\":\"Hi\"},{\"role\":\"assistant\",\"content\":\"Hello!\"}]}";

    Path file(String name, String content) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, content, StandardCharsets.UTF_8);
        return f;
    }

    DatasetReport check(Path file, DatasetFormat format) {
        return DatasetValidator.builder().build().validate(file, format);
    }

    @Test
    void validChat_countsExamplesMessagesCharactersAndApproximateTokens() throws IOException {
        DatasetReport r = check(file("chat.jsonl", CHAT_OK + "\n" + CHAT_OK + "\n"), DatasetFormat.CHAT);
        assertThat(r.valid()).isTrue();
        assertThat(r.issues()).isEmpty();
        assertThat(r.stats().examples()).isEqualTo(2);
        assertThat(r.stats().messages()).isEqualTo(6);
        assertThat(r.stats().characters()).isEqualTo(2 * ("Be brief.".length() + "Hi".length() + "Hello!".length()));
        assertThat(r.stats().tokensExact()).isFalse();
        assertThat(r.stats().tokens()).isEqualTo(2 * (3 + 1 + 2));
    }

    @Test
    void everyFormat_acceptsItsOwnLayout() throws IOException {
        assertThat(check(file("pc.jsonl", "{\"prompt\":\"2+2=\",\"completion\":\"4\"}\n"),
                DatasetFormat.PROMPT_COMPLETION).valid()).isTrue();
        assertThat(check(file("alpaca.jsonl", "{\"instruction\":\"Add\",\"input\":\"2 2\",\"output\":\"4\"}\n"
                + "{\"instruction\":\"Say hi\",\"output\":\"hi\"}\n"), DatasetFormat.ALPACA).valid()).isTrue();
        assertThat(check(file("trl.jsonl", "{\"prompt\":\"Q\",\"chosen\":\"good\",\"rejected\":\"bad\"}\n"),
                DatasetFormat.PREFERENCE).valid()).isTrue();
        DatasetReport openAi = check(file("openai.jsonl", "{\"input\":{\"messages\":[{\"role\":\"user\",\"content\":\"Q\"}]},"
                + "\"preferred_output\":[{\"role\":\"assistant\",\"content\":\"good\"}],"
                + "\"non_preferred_output\":[{\"role\":\"assistant\",\"content\":\"bad\"}]}\n"), DatasetFormat.PREFERENCE);
        assertThat(openAi.valid()).isTrue();
        assertThat(openAi.stats().messages()).isEqualTo(3);
    }

    static final String PAIR_OK = "{\"anchor\":\"cheap flights\",\"positive\":\"Low-cost airfares\","
            + "\"negatives\":[\"Hotel deals\",\"Car rental\"]}";
    static final String GROUP_OK = "{\"query\":\"cheap flights\",\"documents\":[\"Low-cost airfares\",\"Hotel deals\"],"
            + "\"labels\":[1,0]}";

    @Test
    void encoderFormats_countEachTextOrPairAsASequence_andWarnOnGroupsThatTeachNothing() throws IOException {
        DatasetReport pairs = check(file("pairs.jsonl", PAIR_OK + "\n{\"anchor\":\"a\",\"positive\":\"b\"}\n"),
                DatasetFormat.PAIRS);
        assertThat(pairs.valid()).isTrue();
        assertThat(pairs.stats().examples()).isEqualTo(2);
        // a bi-encoder embeds each text alone: 4 + 2
        assertThat(pairs.stats().sequences()).isEqualTo(6);
        DatasetReport scored = check(file("scored.jsonl", "{\"query\":\"q\",\"document\":\"d\",\"label\":0.5}\n"),
                DatasetFormat.SCORED_PAIRS);
        assertThat(scored.valid()).isTrue();
        assertThat(scored.stats().sequences()).isEqualTo(1);
        DatasetReport groups = check(file("groups.jsonl", GROUP_OK + "\n{\"query\":\"q\",\"documents\":[\"a\","
                + "\"b\"],\"labels\":[0,0]}\n"), DatasetFormat.GROUPS);
        assertThat(groups.valid()).isTrue();
        // a cross-encoder reads each (query, document) together: 2 + 2
        assertThat(groups.stats().sequences()).isEqualTo(4);
        assertThat(groups.issues()).singleElement().satisfies(i -> {
            assertThat(i.severity()).isEqualTo(Severity.WARNING);
            assertThat(i.line()).isEqualTo(2);
            assertThat(i.message()).startsWith("no document is relevant");
        });
    }

    @Test
    void chatExtras_weightsToolCallsAndTextParts_areAccepted() throws IOException {
        String line = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Weather?\"}]},"
                + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\","
                + "\"function\":{\"name\":\"w\",\"arguments\":\"{}\"}}],\"weight\":0},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"sunny\"},"
                + "{\"role\":\"assistant\",\"content\":\"Sunny.\",\"weight\":1}],\"tools\":[]}";
        DatasetReport r = check(file("tools.jsonl", line + "\n"), DatasetFormat.CHAT);
        assertThat(r.issues()).isEmpty();
        assertThat(r.stats().messages()).isEqualTo(4);
    }

    record Bad(String name, DatasetFormat format, String content, long line, String pointer, String message) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Bad> badFiles() {
        return Stream.of(
                new Bad("broken json", DatasetFormat.CHAT, CHAT_OK + "\n{\"messages\": [}\n", 2, "",
                        "not valid JSON at column 15"),
                new Bad("not an object", DatasetFormat.CHAT, "[1,2]\n", 1, "", "must be a JSON object, got an array"),
                new Bad("missing messages", DatasetFormat.CHAT, "{\"conversation\":[]}\n", 1, "",
                        "missing key \"messages\""),
                new Bad("preference data under chat", DatasetFormat.CHAT,
                        "{\"prompt\":\"q\",\"chosen\":\"a\",\"rejected\":\"b\"}\n", 1, "",
                        "missing key \"messages\" (this line looks like preference data: is the format right?)"),
                new Bad("messages not an array", DatasetFormat.CHAT, "{\"messages\":\"hi\"}\n", 1, "/messages",
                        "must be an array of messages, got a string"),
                new Bad("empty messages", DatasetFormat.CHAT, "{\"messages\":[]}\n", 1, "/messages",
                        "must hold at least one message"),
                new Bad("unknown role", DatasetFormat.CHAT, CHAT_OK.replace("\"system\"", "\"bot\"") + "\n", 1,
                        "/messages/0/role", "unknown role \"bot\"; expected system, user, assistant, tool"),
                new Bad("role not a string", DatasetFormat.CHAT, CHAT_OK.replace("\"system\"", "7") + "\n", 1,
                        "/messages/0/role", "must be a string, got a number"),
                new Bad("content wrong type", DatasetFormat.CHAT, CHAT_OK.replace("\"Hi\"", "42") + "\n", 1,
                        "/messages/1/content", "must be a string or an array of text parts, got a number"),
                new Bad("missing content", DatasetFormat.CHAT,
                        "{\"messages\":[{\"role\":\"user\"},{\"role\":\"assistant\",\"content\":\"x\"}]}\n", 1,
                        "/messages/0", "missing key \"content\""),
                new Bad("empty content", DatasetFormat.CHAT, CHAT_OK.replace("\"Hello!\"", "\"  \"") + "\n", 1,
                        "/messages/2/content", "empty content"),
                new Bad("system after the start", DatasetFormat.CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":"
                        + "\"Hi\"},{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"assistant\",\"content\":\"Ok\"}]}\n",
                        1, "/messages/1/role", "a system message comes only first, got one after \"user\""),
                new Bad("assistant speaks first", DatasetFormat.CHAT, "{\"messages\":[{\"role\":\"assistant\",\"content\":"
                        + "\"Hi\"},{\"role\":\"user\",\"content\":\"Yo\"},{\"role\":\"assistant\",\"content\":\"Ok\"}]}\n", 1,
                        "/messages/0/role", "the conversation starts with a user message (after an optional system "
                        + "message), got \"assistant\""),
                new Bad("two users in a row", DatasetFormat.CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"},"
                        + "{\"role\":\"user\",\"content\":\"There?\"},{\"role\":\"assistant\",\"content\":\"Yes\"}]}\n", 1,
                        "/messages/1/role", "two user messages in a row; merge them into one"),
                new Bad("two assistants in a row", DatasetFormat.CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":"
                        + "\"Hi\"},{\"role\":\"assistant\",\"content\":\"Hey\"},{\"role\":\"assistant\",\"content\":\"You\"}]}\n",
                        1, "/messages/2/role", "two assistant messages in a row; put the user's turn between them, or "
                        + "merge them"),
                new Bad("tool without a call", DatasetFormat.CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"},"
                        + "{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"x\"},{\"role\":\"assistant\",\"content\":"
                        + "\"Ok\"}]}\n", 1, "/messages/1/role", "a tool message answers an assistant message's tool_calls; "
                        + "it follows one, got one after \"user\""),
                new Bad("the user speaks last", DatasetFormat.CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"},"
                        + "{\"role\":\"assistant\",\"content\":\"Hey\"},{\"role\":\"user\",\"content\":\"Bye\"}]}\n", 1,
                        "/messages/2/role", "the last message is the assistant's (the answer trained on), got \"user\""),
                new Bad("a preference prompt ends with the assistant", DatasetFormat.PREFERENCE, "{\"input\":{\"messages\":"
                        + "[{\"role\":\"user\",\"content\":\"Hi\"},{\"role\":\"assistant\",\"content\":\"Hey\"}]},"
                        + "\"preferred_output\":[{\"role\":\"assistant\",\"content\":\"A\"}],\"non_preferred_output\":"
                        + "[{\"role\":\"assistant\",\"content\":\"B\"}]}\n", 1, "/input/messages/1/role", "the prompt ends "
                        + "with the user's message, which the preferred and non-preferred outputs answer; got \"assistant\""),
                new Bad("no assistant", DatasetFormat.CHAT,
                        "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}\n", 1, "/messages",
                        "no assistant message; a chat example needs at least one to train on"),
                new Bad("all weights zero", DatasetFormat.CHAT,
                        CHAT_OK.replace("\"Hello!\"}", "\"Hello!\",\"weight\":0}") + "\n", 1, "/messages",
                        "every assistant message has weight 0; nothing to train on"),
                new Bad("weight 0.5", DatasetFormat.CHAT,
                        CHAT_OK.replace("\"Hello!\"}", "\"Hello!\",\"weight\":0.5}") + "\n", 1, "/messages/2/weight",
                        "must be 0 or 1, got 0.5"),
                new Bad("weight on user", DatasetFormat.CHAT,
                        CHAT_OK.replace("\"Hi\"}", "\"Hi\",\"weight\":1}") + "\n", 1, "/messages/1/weight",
                        "only applies to assistant messages"),
                new Bad("unknown message key", DatasetFormat.CHAT,
                        CHAT_OK.replace("\"Hi\"}", "\"Hi\",\"mood\":\"happy\"}") + "\n", 1, "/messages/1/mood",
                        "unknown key; a message has role, content, weight, name, tool_calls, tool_call_id"),
                new Bad("empty prompt", DatasetFormat.PROMPT_COMPLETION, "{\"prompt\":\"\",\"completion\":\"4\"}\n", 1,
                        "/prompt", "empty prompt"),
                new Bad("missing completion", DatasetFormat.PROMPT_COMPLETION, "{\"prompt\":\"2+2\"}\n", 1, "",
                        "missing key \"completion\""),
                new Bad("completion not a string", DatasetFormat.PROMPT_COMPLETION,
                        "{\"prompt\":\"2+2\",\"completion\":4}\n", 1, "/completion", "must be a string, got a number"),
                new Bad("alpaca without output", DatasetFormat.ALPACA, "{\"instruction\":\"Say hi\"}\n", 1, "",
                        "missing key \"output\""),
                new Bad("chat data under alpaca", DatasetFormat.ALPACA, CHAT_OK + "\n", 1, "",
                        "missing key \"instruction\" (this line looks like chat data: is the format right?)"),
                new Bad("chat data under preference", DatasetFormat.PREFERENCE, CHAT_OK + "\n", 1, "",
                        "missing keys: a preference example has \"input\", \"preferred_output\" and "
                                + "\"non_preferred_output\", or \"prompt\", \"chosen\" and \"rejected\" (this line looks "
                                + "like chat data: is the format right?)"),
                new Bad("two preferred outputs", DatasetFormat.PREFERENCE,
                        "{\"input\":{\"messages\":[{\"role\":\"user\",\"content\":\"Q\"}]},\"preferred_output\":["
                                + "{\"role\":\"assistant\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"b\"}],"
                                + "\"non_preferred_output\":[{\"role\":\"assistant\",\"content\":\"c\"}]}\n", 1,
                        "/preferred_output", "must hold exactly one assistant message, got 2"),
                new Bad("non-preferred from the user", DatasetFormat.PREFERENCE,
                        "{\"input\":{\"messages\":[{\"role\":\"user\",\"content\":\"Q\"}]},\"preferred_output\":["
                                + "{\"role\":\"assistant\",\"content\":\"a\"}],"
                                + "\"non_preferred_output\":[{\"role\":\"user\",\"content\":\"c\"}]}\n", 1,
                        "/non_preferred_output/0/role", "must be \"assistant\", got \"user\""),
                new Bad("missing non-preferred", DatasetFormat.PREFERENCE,
                        "{\"input\":{\"messages\":[{\"role\":\"user\",\"content\":\"Q\"}]},\"preferred_output\":["
                                + "{\"role\":\"assistant\",\"content\":\"a\"}]}\n", 1, "",
                        "missing key \"non_preferred_output\""),
                new Bad("mixed preference layouts", DatasetFormat.PREFERENCE,
                        "{\"prompt\":\"Q\",\"preferred_output\":[],\"rejected\":\"b\"}\n", 1, "",
                        "mixes two layouts: use either \"input\"/\"preferred_output\"/\"non_preferred_output\" or "
                                + "\"prompt\"/\"chosen\"/\"rejected\""),
                new Bad("pairs without a positive", DatasetFormat.PAIRS, PAIR_OK + "\n{\"anchor\":\"q\"}\n", 2, "",
                        "missing key \"positive\""),
                new Bad("chat data under pairs", DatasetFormat.PAIRS, CHAT_OK + "\n", 1, "",
                        "missing key \"anchor\" (this line looks like chat data: is the format right?)"),
                new Bad("empty anchor", DatasetFormat.PAIRS, "{\"anchor\":\" \",\"positive\":\"d\"}\n", 1, "/anchor",
                        "empty anchor"),
                new Bad("negatives not an array", DatasetFormat.PAIRS,
                        "{\"anchor\":\"q\",\"positive\":\"d\",\"negatives\":\"x\"}\n", 1, "/negatives",
                        "must be an array of strings, got a string"),
                new Bad("a negative not a string", DatasetFormat.PAIRS,
                        "{\"anchor\":\"q\",\"positive\":\"d\",\"negatives\":[\"x\",3]}\n", 1, "/negatives/1",
                        "must be a string, got a number"),
                new Bad("the positive as a negative", DatasetFormat.PAIRS,
                        "{\"anchor\":\"q\",\"positive\":\"d\",\"negatives\":[\"x\",\"d\"]}\n", 1, "/negatives/1",
                        "a hard negative is the positive itself"),
                new Bad("scored pair without a label", DatasetFormat.SCORED_PAIRS,
                        "{\"query\":\"q\",\"document\":\"d\"}\n", 1, "", "missing key \"label\""),
                new Bad("label a string", DatasetFormat.SCORED_PAIRS,
                        "{\"query\":\"q\",\"document\":\"d\",\"label\":\"yes\"}\n", 1, "/label",
                        "must be a number in 0..1, got a string"),
                new Bad("label 2", DatasetFormat.SCORED_PAIRS, "{\"query\":\"q\",\"document\":\"d\",\"label\":2}\n",
                        1, "/label", "must be in 0..1 (1 relevant, 0 not), got 2.0"),
                new Bad("groups data under scored pairs", DatasetFormat.SCORED_PAIRS, GROUP_OK + "\n", 1, "",
                        "missing key \"document\" (this line looks like groups data: is the format right?)"),
                new Bad("group without labels", DatasetFormat.GROUPS, "{\"query\":\"q\",\"documents\":[\"a\"]}\n",
                        1, "", "missing key \"labels\""),
                new Bad("group with no documents", DatasetFormat.GROUPS,
                        "{\"query\":\"q\",\"documents\":[],\"labels\":[]}\n", 1, "/documents",
                        "must hold at least one document"),
                new Bad("labels not matching documents", DatasetFormat.GROUPS,
                        "{\"query\":\"q\",\"documents\":[\"a\",\"b\"],\"labels\":[1]}\n", 1, "/labels",
                        "must hold one label per document: 2 documents, 1 labels"),
                new Bad("a label out of range", DatasetFormat.GROUPS,
                        "{\"query\":\"q\",\"documents\":[\"a\",\"b\"],\"labels\":[1,-1]}\n", 1, "/labels/1",
                        "must be in 0..1 (1 relevant, 0 not), got -1.0"),
                new Bad("empty file", DatasetFormat.CHAT, "", 0, "", "the file is empty"),
                new Bad("only blank lines", DatasetFormat.CHAT, "\n\n", 0, "", "the file holds no examples"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badFiles")
    void badFile_isReportedWithFileLineAndPointer(Bad bad) throws IOException {
        Path f = file(bad.name().replace(' ', '-') + ".jsonl", bad.content());
        DatasetReport r = check(f, bad.format());
        assertThat(r.valid()).isFalse();
        assertThat(r.issues()).filteredOn(i -> i.severity() == Severity.ERROR).first().satisfies(i -> {
            assertThat(i.file()).isEqualTo(f.toString());
            assertThat(i.line()).isEqualTo(bad.line());
            assertThat(i.pointer()).isEqualTo(bad.pointer());
            assertThat(i.message()).startsWith(bad.message());
        });
    }

    @Test
    void invalidUtf8_namesTheColumn() throws IOException {
        Path f = dir.resolve("latin1.jsonl");
        byte[] good = (CHAT_OK + "\n").getBytes(StandardCharsets.UTF_8);
        byte[] bad = "{\"prompt\":\"caf\u00e9\"}\n".getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = new byte[good.length + bad.length];
        System.arraycopy(good, 0, all, 0, good.length);
        System.arraycopy(bad, 0, all, good.length, bad.length);
        Files.write(f, all);
        DatasetReport r = check(f, DatasetFormat.CHAT);
        assertThat(r.issues()).extracting(DatasetIssue::toString)
                .containsExactly(f + ":2: error: not valid UTF-8 (bad byte at column 15)");
        assertThat(r.stats().examples()).isEqualTo(1);
    }

    @Test
    void windowsLineEndings_andAByteOrderMark_areFine() throws IOException {
        Path f = dir.resolve("crlf.jsonl");
        Files.write(f, ("\uFEFF" + CHAT_OK + "\r\n" + CHAT_OK + "\r\n").getBytes(StandardCharsets.UTF_8));
        DatasetReport r = check(f, DatasetFormat.CHAT);
        assertThat(r.issues()).isEmpty();
        assertThat(r.stats().examples()).isEqualTo(2);
    }

    @Test
    void manyErrors_listOnlyTheFirst_andCountTheRest() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 120; i++) {
            sb.append("{\"messages\":[]}\n");
        }
        DatasetReport r = DatasetValidator.builder().maxIssues(10).build()
                .validate(file("many.jsonl", sb.toString()), DatasetFormat.CHAT);
        assertThat(r.issues()).hasSize(10);
        assertThat(r.errors()).isEqualTo(120);
        assertThat(r.omitted()).isEqualTo(110);
        assertThat(r.issues().get(9).line()).isEqualTo(10);
    }

    @Test
    void unknownTopLevelKeys_areOneWarningPerKey_notOnePerLine() throws IOException {
        String line = CHAT_OK.replace("{\"messages\"", "{\"id\":1,\"messages\"");
        DatasetReport r = check(file("ids.jsonl", line + "\n" + line + "\n" + line + "\n"), DatasetFormat.CHAT);
        assertThat(r.valid()).isTrue();
        assertThat(r.issues()).extracting(DatasetIssue::message)
                .containsExactly("key \"id\" on 3 lines is not part of the chat format and is ignored");
    }

    @Test
    void missingFile_isOneError() {
        DatasetReport r = check(dir.resolve("absent.jsonl"), DatasetFormat.CHAT);
        assertThat(r.issues()).extracting(DatasetIssue::message).containsExactly("file not found");
    }

    @Test
    void overLongExamples_areWarnings_withExactCountsFromTheModelTokenizer() throws IOException {
        Path tokenizer = Path.of("src/test/resources/tokenizer/tokenizer.json").toAbsolutePath();
        String longText = "token ".repeat(100).trim();
        String line = "{\"prompt\":\"hello\",\"completion\":\"" + longText + "\"}";
        try (TokenCounter counter = HfTokenCounter.open(tokenizer)) {
            DatasetReport r = DatasetValidator.builder().tokens(counter).maxSeqLength(64).build()
                    .validate(file("long.jsonl", line + "\n{\"prompt\":\"hello\",\"completion\":\"hello\"}\n"),
                            DatasetFormat.PROMPT_COMPLETION);
            assertThat(r.valid()).isTrue();
            assertThat(r.stats().tokensExact()).isTrue();
            assertThat(r.stats().overLength()).isEqualTo(1);
            assertThat(r.stats().tokens()).isEqualTo(2 + counter.count(longText) + 2 + 2);
            assertThat(r.issues()).singleElement().satisfies(i -> {
                assertThat(i.severity()).isEqualTo(Severity.WARNING);
                assertThat(i.line()).isEqualTo(1);
                assertThat(i.message()).isEqualTo("example has " + (2 + counter.count(longText))
                        + " tokens, more than max_seq_length 64; it will be truncated");
            });
        }
    }
}
