package dev.koder.training.core.data;

import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetIssue;
import dev.koder.training.api.DatasetReport;
import dev.koder.training.api.DatasetStats;
import dev.koder.training.api.LengthHistogram;
import dev.koder.training.api.Severity;
import dev.koder.training.api.Violation;
import dev.koder.training.spi.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * Checks a JSONL dataset against its format in one streamed pass, in memory bounded by the longest line, and
 * counts what it holds. See docs/DATASETS.md for the formats and every rule.
 *
 * <pre>{@code
 * try (TokenCounter tokens = HfTokenCounter.forModel("/models/llama-1b")) {
 *     DatasetReport report = DatasetValidator.builder().tokens(tokens).maxSeqLength(2048).build()
 *             .validate(Path.of("train.jsonl"), DatasetFormat.CHAT);
 *     report.issues().forEach(System.out::println);
 * }
 * }</pre>
 */
public final class DatasetValidator {

    /** Longest line read; longer ones are reported and skipped. */
    public static final int MAX_LINE_BYTES = 16 * 1024 * 1024;
    static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool");
    static final Set<String> MESSAGE_KEYS = Set.of("role", "content", "weight", "name", "tool_calls",
            "tool_call_id");
    private static final int MAX_IGNORED_KEYS = 32;

    private final TokenCounter tokens;
    private final int maxSeqLength;
    private final int maxIssues;

    private DatasetValidator(Builder b) {
        this.tokens = b.tokens;
        this.maxSeqLength = b.maxSeqLength;
        this.maxIssues = b.maxIssues;
    }

    /** @return a builder: approximate token counts, max sequence length 2048, 50 findings listed */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * @param file a JSONL file
     * @param format the format every line must follow
     * @return what the scan found; never throws for bad content
     */
    public DatasetReport validate(Path file, DatasetFormat format) {
        Scan scan = new Scan(file.toString(), format);
        try (InputStream in = Files.newInputStream(file);
                JsonlLines lines = new JsonlLines(in, MAX_LINE_BYTES)) {
            scan(lines, scan, false);
        } catch (NoSuchFileException e) {
            scan.fileProblem("file not found");
        } catch (AccessDeniedException e) {
            scan.fileProblem("permission denied");
        } catch (IOException e) {
            scan.fileProblem(Files.isDirectory(file) ? "is a folder, not a file" : "cannot be read: " + e.getMessage());
        }
        return scan.report();
    }

    /**
     * Checks examples as they arrive, for example from an upload: each line is read and checked before the next
     * is read, so a bad example is found while the rest is still on its way.
     *
     * @param in the JSONL bytes (not closed)
     * @param name what to call it in findings
     * @param format the format every line must follow
     * @param stopAtFirstError stop reading at the first invalid example
     * @return what the scan found
     * @throws IOException when the stream cannot be read
     */
    public DatasetReport validate(InputStream in, String name, DatasetFormat format, boolean stopAtFirstError)
            throws IOException {
        Scan scan = new Scan(name, format);
        JsonlLines lines = new JsonlLines(in, MAX_LINE_BYTES);
        scan(lines, scan, stopAtFirstError);
        return scan.report();
    }

    private static void scan(JsonlLines lines, Scan scan, boolean stopAtFirstError) throws IOException {
        for (JsonlLines.Line line = lines.next(); line != null; line = lines.next()) {
            scan.line(line);
            if (stopAtFirstError && scan.errors > 0) {
                return;
            }
        }
    }

    /** State of one scan: counters and the first findings. */
    private final class Scan {
        final String file;
        final DatasetFormat format;
        final List<DatasetIssue> issues = new ArrayList<>();
        final Map<String, Long> ignoredKeys = new LinkedHashMap<>();
        long errors;
        long warnings;
        long lines;
        long examples;
        long messages;
        long characters;
        long tokenTotal;
        long longest;
        long overLength;
        long sequences;
        long withinLimit;
        final long[] lengths = new long[LengthHistogram.MAX_BUCKETS + 1];
        final int bucket = LengthHistogram.bucketWidth(maxSeqLength);
        boolean fileFailed;

        Scan(String file, DatasetFormat format) {
            this.file = file;
            this.format = format;
        }

        void fileProblem(String message) {
            fileFailed = true;
            issue(Severity.ERROR, 0, "", message);
        }

        void issue(Severity severity, long line, String pointer, String message) {
            if (severity == Severity.ERROR) {
                errors++;
            } else {
                warnings++;
            }
            if (issues.size() < maxIssues) {
                issues.add(new DatasetIssue(severity, file, line, pointer, message));
            }
        }

        void line(JsonlLines.Line line) {
            lines++;
            if (line.problem() != null) {
                issue(Severity.ERROR, line.number(), "", line.problem());
                return;
            }
            if (line.text().isBlank()) {
                issue(Severity.WARNING, line.number(), "", "empty line, skipped");
                return;
            }
            JsonNode node;
            try {
                node = Json.MAPPER.readTree(line.text());
            } catch (JacksonException e) {
                var loc = e.getLocation();
                String where = loc == null ? "" : " at column " + loc.getColumnNr();
                issue(Severity.ERROR, line.number(), "", "not valid JSON" + where + ": " + e.getOriginalMessage());
                return;
            }
            LineCheck check = new LineCheck(this, line.number());
            Example example = check.example(node);
            if (check.failed) {
                return;
            }
            examples++;
            messages += example.messages();
            long sharedTokens = 0;
            for (String s : example.shared()) {
                characters += s.codePointCount(0, s.length());
                sharedTokens += tokens.count(s);
            }
            long total = sharedTokens;
            long longestBranch = 0;
            if (example.branches().size() < 2) {
                sequences++;
            }
            for (String s : example.branches()) {
                characters += s.codePointCount(0, s.length());
                long t = tokens.count(s);
                total += t;
                longestBranch = Math.max(longestBranch, t);
                if (example.branches().size() > 1) {
                    sequences++;
                    withinLimit += Math.min(maxSeqLength, sharedTokens + t);
                    count(sharedTokens + t);
                }
            }
            if (example.branches().size() < 2) {
                withinLimit += Math.min(maxSeqLength, total);
                count(total);
            }
            tokenTotal += total;
            long sequence = sharedTokens + longestBranch;
            longest = Math.max(longest, sequence);
            if (sequence > maxSeqLength) {
                overLength++;
                issue(Severity.WARNING, line.number(), "", "example has " + sequence
                        + (tokens.exact() ? "" : " (estimated)") + " tokens, more than max_seq_length "
                        + maxSeqLength + "; it will be truncated");
            }
        }

        private void count(long sequenceTokens) {
            lengths[(int) (Math.min(maxSeqLength, sequenceTokens) / bucket)]++;
        }

        private LengthHistogram histogram() {
            int used = lengths.length;
            while (used > 0 && lengths[used - 1] == 0) {
                used--;
            }
            List<Long> counts = new ArrayList<>(used);
            for (int i = 0; i < used; i++) {
                counts.add(lengths[i]);
            }
            return new LengthHistogram(bucket, counts);
        }

        void ignoredKey(String key) {
            if (ignoredKeys.containsKey(key) || ignoredKeys.size() < MAX_IGNORED_KEYS) {
                ignoredKeys.merge(key, 1L, Long::sum);
            }
        }

        DatasetReport report() {
            for (Map.Entry<String, Long> e : ignoredKeys.entrySet()) {
                issue(Severity.WARNING, 0, "", "key \"" + e.getKey() + "\" on " + e.getValue()
                        + (e.getValue() == 1 ? " line is" : " lines is") + " not part of the " + format.wireName()
                        + " format and is ignored");
            }
            if (!fileFailed && examples == 0 && errors == 0) {
                issue(Severity.ERROR, 0, "", lines == 0 ? "the file is empty" : "the file holds no examples");
            }
            DatasetStats stats = new DatasetStats(examples, messages, characters, tokenTotal, tokens.exact(), longest,
                    overLength, sequences, withinLimit, histogram());
            return new DatasetReport(file, format, stats, issues, errors, warnings);
        }
    }

    /**
     * An example's text: {@code shared} is read by every sequence (the prompt), {@code branches} are the
     * alternative continuations (a chosen and a rejected answer) or, for plain examples, the rest.
     */
    record Example(int messages, List<String> shared, List<String> branches) {
    }

    /** The rules for one line. */
    private final class LineCheck {
        final Scan scan;
        final long line;
        boolean failed;

        LineCheck(Scan scan, long line) {
            this.scan = scan;
            this.line = line;
        }

        void error(String pointer, String message) {
            failed = true;
            scan.issue(Severity.ERROR, line, pointer, message);
        }

        void warn(String pointer, String message) {
            scan.issue(Severity.WARNING, line, pointer, message);
        }

        Example example(JsonNode node) {
            if (!node.isObject()) {
                error("", "must be a JSON object, got " + kind(node));
                return null;
            }
            switch (scan.format) {
                case CHAT:
                    return chat(node);
                case PROMPT_COMPLETION:
                    return promptCompletion(node);
                case PREFERENCE:
                    return preference(node);
                case ALPACA:
                    return alpaca(node);
                case PAIRS:
                    return pairs(node);
                case SCORED_PAIRS:
                    return scoredPair(node);
                case GROUPS:
                    return group(node);
                default:
                    throw new IllegalStateException("unknown format " + scan.format);
            }
        }

        private Example chat(JsonNode node) {
            ignoreOthers(node, Set.of("messages", "tools", "parallel_tool_calls"));
            JsonNode list = node.get("messages");
            if (list == null) {
                error("", "missing key \"messages\"" + looksLike(node));
                return null;
            }
            List<String> texts = new ArrayList<>();
            int[] assistants = new int[2];
            int count = messages(list, "/messages", ROLES, texts, assistants);
            if (!failed && assistants[0] > 0) {
                order(list, "/messages", "assistant");
            }
            if (failed) {
                return null;
            }
            if (assistants[0] == 0) {
                error("/messages", "no assistant message; a chat example needs at least one to train on");
            } else if (assistants[1] == 0) {
                error("/messages", "every assistant message has weight 0; nothing to train on");
            }
            return new Example(count, texts, List.of());
        }

        /**
         * OpenAI's rules for who may speak when: a system message only first; then a user message; no two user or
         * two assistant messages in a row; a tool message only answering an assistant's tool calls (or another tool
         * message), and those calls answered; and the conversation ends with {@code last} speaking (the assistant
         * whose answer is trained on, or for a preference prompt the user the outputs answer).
         */
        private void order(JsonNode list, String at, String last) {
            String previous = null;
            boolean calls = false;
            for (int i = 0; i < list.size(); i++) {
                String role = list.get(i).path("role").asString();
                String where = at + "/" + i + "/role";
                if ("system".equals(role)) {
                    if (i > 0) {
                        error(where, "a system message comes only first, got one after \"" + previous + "\"");
                        return;
                    }
                } else if (previous == null || "system".equals(previous)) {
                    if (!"user".equals(role)) {
                        error(where, "the conversation starts with a user message (after an optional system "
                                + "message), got \"" + role + "\"");
                        return;
                    }
                } else if ("tool".equals(role)) {
                    if (!calls && !"tool".equals(previous)) {
                        error(where, "a tool message answers an assistant message's tool_calls; it follows one, "
                                + "got one after \"" + previous + "\"");
                        return;
                    }
                } else if (calls) {
                    error(where, "the assistant's tool_calls are answered by tool messages first, got \"" + role + "\"");
                    return;
                } else if (role.equals(previous)) {
                    error(where, "two " + role + " messages in a row; " + ("user".equals(role) ? "merge them into one"
                            : "put the user's turn between them, or merge them"));
                    return;
                }
                calls = "assistant".equals(role) && list.get(i).has("tool_calls")
                        && !list.get(i).get("tool_calls").isNull();
                previous = role;
            }
            if (calls) {
                error(at + "/" + (list.size() - 1), "the assistant's tool_calls are never answered by a tool message");
            } else if (previous != null && !previous.equals(last) && !("user".equals(last) && "tool".equals(previous))) {
                error(at + "/" + (list.size() - 1) + "/role", "assistant".equals(last)
                        ? "the last message is the assistant's (the answer trained on), got \"" + previous + "\""
                        : "the prompt ends with the user's message, which the preferred and non-preferred outputs "
                                + "answer; got \"" + previous + "\"");
            }
        }

        /** Checks a message list; assistants[0] counts assistant messages, assistants[1] trained ones. */
        private int messages(JsonNode list, String at, Set<String> roles, List<String> texts, int[] assistants) {
            if (!list.isArray()) {
                error(at, "must be an array of messages, got " + kind(list));
                return 0;
            }
            if (list.isEmpty()) {
                error(at, "must hold at least one message");
                return 0;
            }
            for (int i = 0; i < list.size(); i++) {
                message(list.get(i), at + "/" + i, roles, texts, assistants);
            }
            return list.size();
        }

        private void message(JsonNode m, String at, Set<String> roles, List<String> texts, int[] assistants) {
            if (!m.isObject()) {
                error(at, "must be a message object, got " + kind(m));
                return;
            }
            for (String key : m.propertyNames()) {
                if (!MESSAGE_KEYS.contains(key)) {
                    error(at + "/" + Violation.escape(key), "unknown key; a message has "
                            + String.join(", ", List.of("role", "content", "weight", "name", "tool_calls",
                                    "tool_call_id")));
                }
            }
            JsonNode roleNode = m.get("role");
            String role = null;
            if (roleNode == null) {
                error(at, "missing key \"role\"");
            } else if (!roleNode.isTextual()) {
                error(at + "/role", "must be a string, got " + kind(roleNode));
            } else if (!roles.contains(roleNode.asString())) {
                error(at + "/role", "unknown role \"" + roleNode.asString() + "\"; expected "
                        + String.join(", ", ordered(roles)));
            } else {
                role = roleNode.asString();
            }
            boolean assistant = "assistant".equals(role);
            boolean hasToolCalls = m.has("tool_calls") && !m.get("tool_calls").isNull();
            if (hasToolCalls && !assistant && role != null) {
                error(at + "/tool_calls", "only assistant messages make tool calls");
            } else if (hasToolCalls && (!m.get("tool_calls").isArray() || m.get("tool_calls").isEmpty())) {
                error(at + "/tool_calls", "must be a non-empty array of tool calls");
            }
            if (m.has("tool_call_id") && role != null && !"tool".equals(role)) {
                error(at + "/tool_call_id", "only tool messages answer a tool call");
            }
            if (m.has("name") && !m.get("name").isTextual()) {
                error(at + "/name", "must be a string, got " + kind(m.get("name")));
            }
            content(m.get("content"), at, assistant && hasToolCalls, texts);
            if (hasToolCalls && m.get("tool_calls").isArray()) {
                texts.add(m.get("tool_calls").toString());
            }
            JsonNode weight = m.get("weight");
            boolean trained = true;
            if (weight != null) {
                if (role != null && !assistant) {
                    error(at + "/weight", "only applies to assistant messages");
                } else if (!weight.isNumber() || (weight.asDouble() != 0 && weight.asDouble() != 1)) {
                    error(at + "/weight", "must be 0 or 1, got " + weight);
                } else {
                    trained = weight.asDouble() == 1;
                }
            }
            if (assistant) {
                assistants[0]++;
                if (trained) {
                    assistants[1]++;
                }
            }
        }

        private void content(JsonNode content, String at, boolean mayBeEmpty, List<String> texts) {
            String pointer = at + "/content";
            if (content == null || content.isNull()) {
                if (!mayBeEmpty) {
                    error(at, "missing key \"content\"");
                }
                return;
            }
            if (content.isTextual()) {
                if (content.asString().isBlank() && !mayBeEmpty) {
                    error(pointer, "empty content");
                }
                texts.add(content.asString());
                return;
            }
            if (!content.isArray()) {
                error(pointer, "must be a string or an array of text parts, got " + kind(content));
                return;
            }
            StringBuilder joined = new StringBuilder();
            for (int i = 0; i < content.size(); i++) {
                JsonNode part = content.get(i);
                String p = pointer + "/" + i;
                if (!part.isObject() || !"text".equals(part.path("type").asString(""))) {
                    error(p, "must be a text part {\"type\": \"text\", \"text\": \"...\"}");
                } else if (!part.path("text").isTextual()) {
                    error(p + "/text", "must be a string, got " + kind(part.path("text")));
                } else {
                    joined.append(part.get("text").asString());
                }
            }
            if (joined.toString().isBlank() && !mayBeEmpty) {
                error(pointer, "empty content");
            }
            texts.add(joined.toString());
        }

        private Example promptCompletion(JsonNode node) {
            ignoreOthers(node, Set.of("prompt", "completion"));
            String prompt = text(node, "prompt", true);
            String completion = text(node, "completion", true);
            if (failed) {
                return null;
            }
            return new Example(2, List.of(prompt), List.of(completion));
        }

        private Example alpaca(JsonNode node) {
            ignoreOthers(node, Set.of("instruction", "input", "output"));
            String instruction = text(node, "instruction", true);
            String input = node.has("input") ? text(node, "input", false) : "";
            String output = text(node, "output", true);
            if (failed) {
                return null;
            }
            return new Example(input.isEmpty() ? 2 : 3, List.of(instruction, input), List.of(output));
        }

        /** Each text is a sequence of its own (a bi-encoder embeds them one by one). */
        private Example pairs(JsonNode node) {
            ignoreOthers(node, Set.of("anchor", "positive", "negatives"));
            String anchor = text(node, "anchor", true);
            String positive = text(node, "positive", true);
            List<String> texts = new ArrayList<>(List.of(anchor, positive));
            JsonNode negatives = node.get("negatives");
            if (negatives != null && !negatives.isNull()) {
                texts.addAll(strings(negatives, "/negatives", false));
            }
            if (failed) {
                return null;
            }
            if (anchor.equals(positive)) {
                warn("/positive", "the positive is the anchor itself; the pair teaches nothing");
            }
            for (int i = 2; i < texts.size(); i++) {
                if (texts.get(i).equals(positive)) {
                    error("/negatives/" + (i - 2), "a hard negative is the positive itself");
                    return null;
                }
            }
            return new Example(texts.size(), List.of(), texts);
        }

        /** The query and the document are one sequence (a cross-encoder reads them together). */
        private Example scoredPair(JsonNode node) {
            ignoreOthers(node, Set.of("query", "document", "label"));
            String query = text(node, "query", true);
            String document = text(node, "document", true);
            label(node.get("label"), "/label");
            if (failed) {
                return null;
            }
            return new Example(2, List.of(query, document), List.of());
        }

        /** Each (query, document) is one sequence. */
        private Example group(JsonNode node) {
            ignoreOthers(node, Set.of("query", "documents", "labels"));
            String query = text(node, "query", true);
            JsonNode docs = node.get("documents");
            JsonNode labels = node.get("labels");
            List<String> documents = List.of();
            if (docs == null) {
                error("", "missing key \"documents\"" + looksLike(node));
            } else {
                documents = strings(docs, "/documents", true);
            }
            if (labels == null) {
                error("", "missing key \"labels\"");
            } else if (!labels.isArray()) {
                error("/labels", "must be an array of numbers in 0..1, one per document, got " + kind(labels));
            } else if (!failed && labels.size() != documents.size()) {
                error("/labels", "must hold one label per document: " + documents.size() + " documents, "
                        + labels.size() + " labels");
            } else {
                boolean relevant = false;
                for (int i = 0; i < labels.size(); i++) {
                    label(labels.get(i), "/labels/" + i);
                    relevant |= labels.get(i).isNumber() && labels.get(i).asDouble() > 0;
                }
                if (!failed && !relevant) {
                    warn("/labels", "no document is relevant (every label is 0); the group teaches a listwise loss "
                            + "nothing");
                }
            }
            if (failed) {
                return null;
            }
            List<String> sequences = new ArrayList<>();
            for (String d : documents) {
                sequences.add(query + " " + d);
            }
            return new Example(1 + documents.size(), List.of(), sequences);
        }

        private void label(JsonNode v, String at) {
            if (v == null) {
                error("", "missing key \"label\"");
            } else if (!v.isNumber()) {
                error(at, "must be a number in 0..1, got " + kind(v));
            } else if (v.asDouble() < 0 || v.asDouble() > 1 || Double.isNaN(v.asDouble())) {
                error(at, "must be in 0..1 (1 relevant, 0 not), got " + v.asDouble());
            }
        }

        private List<String> strings(JsonNode list, String at, boolean nonEmpty) {
            if (!list.isArray()) {
                error(at, "must be an array of strings, got " + kind(list));
                return List.of();
            }
            if (nonEmpty && list.isEmpty()) {
                error(at, "must hold at least one document");
                return List.of();
            }
            List<String> out = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                JsonNode v = list.get(i);
                if (!v.isTextual()) {
                    error(at + "/" + i, "must be a string, got " + kind(v));
                } else if (v.asString().isBlank()) {
                    error(at + "/" + i, "empty text");
                } else {
                    out.add(v.asString());
                }
            }
            return out;
        }

        private Example preference(JsonNode node) {
            boolean openAi = node.has("input") || node.has("preferred_output") || node.has("non_preferred_output");
            boolean trl = node.has("prompt") || node.has("chosen") || node.has("rejected");
            if (!openAi && !trl) {
                error("", "missing keys: a preference example has \"input\", \"preferred_output\" and "
                        + "\"non_preferred_output\", or \"prompt\", \"chosen\" and \"rejected\"" + looksLike(node));
                return null;
            }
            if (openAi && trl) {
                error("", "mixes two layouts: use either \"input\"/\"preferred_output\"/\"non_preferred_output\" "
                        + "or \"prompt\"/\"chosen\"/\"rejected\"");
                return null;
            }
            if (trl) {
                ignoreOthers(node, Set.of("prompt", "chosen", "rejected"));
                String prompt = text(node, "prompt", true);
                String chosen = text(node, "chosen", true);
                String rejected = text(node, "rejected", true);
                if (failed) {
                    return null;
                }
                if (chosen.equals(rejected)) {
                    warn("/rejected", "chosen and rejected are identical; the pair teaches nothing");
                }
                return new Example(3, List.of(prompt), List.of(chosen, rejected));
            }
            ignoreOthers(node, Set.of("input", "preferred_output", "non_preferred_output"));
            JsonNode input = node.get("input");
            List<String> prompt = new ArrayList<>();
            int count = 0;
            if (input == null) {
                error("", "missing key \"input\"");
            } else if (!input.isObject()) {
                error("/input", "must be an object with \"messages\", got " + kind(input));
            } else if (!input.has("messages")) {
                error("/input", "missing key \"messages\"");
            } else {
                for (String key : input.propertyNames()) {
                    if (!Set.of("messages", "tools", "parallel_tool_calls").contains(key)) {
                        error("/input/" + Violation.escape(key), "unknown key; input has messages, tools, "
                                + "parallel_tool_calls");
                    }
                }
                count = messages(input.get("messages"), "/input/messages", ROLES, prompt, new int[2]);
                if (!failed) {
                    order(input.get("messages"), "/input/messages", "user");
                }
            }
            String chosen = output(node, "preferred_output");
            String rejected = output(node, "non_preferred_output");
            if (failed) {
                return null;
            }
            if (chosen.equals(rejected)) {
                warn("/non_preferred_output", "preferred and non-preferred outputs are identical; the pair teaches "
                        + "nothing");
            }
            return new Example(count + 2, prompt, List.of(chosen, rejected));
        }

        private String output(JsonNode node, String key) {
            JsonNode list = node.get(key);
            String at = "/" + key;
            if (list == null) {
                error("", "missing key \"" + key + "\"");
                return "";
            }
            if (!list.isArray()) {
                error(at, "must be an array with one assistant message, got " + kind(list));
                return "";
            }
            if (list.size() != 1) {
                error(at, "must hold exactly one assistant message, got " + list.size());
                return "";
            }
            List<String> texts = new ArrayList<>();
            int[] assistants = new int[2];
            message(list.get(0), at + "/0", ROLES, texts, assistants);
            if (assistants[0] != 1 && list.get(0).path("role").isTextual()
                    && ROLES.contains(list.get(0).path("role").asString())) {
                error(at + "/0/role", "must be \"assistant\", got \"" + list.get(0).path("role").asString() + "\"");
            }
            return String.join("", texts);
        }

        private String text(JsonNode node, String key, boolean required) {
            JsonNode v = node.get(key);
            if (v == null) {
                error("", "missing key \"" + key + "\"" + looksLike(node));
                return "";
            }
            if (!v.isTextual()) {
                error("/" + key, "must be a string, got " + kind(v));
                return "";
            }
            if (required && v.asString().isBlank()) {
                error("/" + key, "empty " + key);
            }
            return v.asString();
        }

        private void ignoreOthers(JsonNode node, Set<String> known) {
            for (String key : node.propertyNames()) {
                if (!known.contains(key)) {
                    scan.ignoredKey(key);
                }
            }
        }

        /** A hint when the line's keys belong to another format. */
        private String looksLike(JsonNode node) {
            DatasetFormat guess = guess(node);
            return guess == null || guess == scan.format ? ""
                    : " (this line looks like " + guess.wireName() + " data: is the format right?)";
        }
    }

    /**
     * @param node one line of a dataset
     * @return the format its keys belong to, or null when they belong to none
     */
    public static DatasetFormat guess(JsonNode node) {
        if (node.has("anchor")) {
            return DatasetFormat.PAIRS;
        }
        if (node.has("documents")) {
            return DatasetFormat.GROUPS;
        }
        if (node.has("query") && node.has("document")) {
            return DatasetFormat.SCORED_PAIRS;
        }
        if (node.has("preferred_output") || node.has("chosen")) {
            return DatasetFormat.PREFERENCE;
        }
        if (node.has("messages")) {
            return DatasetFormat.CHAT;
        }
        if (node.has("instruction")) {
            return DatasetFormat.ALPACA;
        }
        if (node.has("prompt") && node.has("completion")) {
            return DatasetFormat.PROMPT_COMPLETION;
        }
        return null;
    }

    private static List<String> ordered(Set<String> roles) {
        return List.of("system", "user", "assistant", "tool").stream().filter(roles::contains).toList();
    }

    private static String kind(JsonNode v) {
        if (v == null || v.isMissingNode() || v.isNull()) {
            return "null";
        }
        if (v.isTextual()) {
            return "a string";
        }
        if (v.isNumber()) {
            return "a number";
        }
        if (v.isBoolean()) {
            return "a boolean";
        }
        return v.isArray() ? "an array" : "an object";
    }

    /** Builder of {@link DatasetValidator}. */
    public static final class Builder {
        private TokenCounter tokens = new ApproximateTokenCounter();
        private int maxSeqLength = 2048;
        private int maxIssues = 50;

        private Builder() {
        }

        /** @param counter how to count tokens (not closed by the validator) @return this */
        public Builder tokens(TokenCounter counter) {
            this.tokens = counter;
            return this;
        }

        /** @param length tokens beyond which an example is reported as over-long @return this */
        public Builder maxSeqLength(int length) {
            this.maxSeqLength = length;
            return this;
        }

        /** @param limit findings listed; later ones are only counted @return this */
        public Builder maxIssues(int limit) {
            if (limit < 1) {
                throw new IllegalArgumentException("maxIssues must be at least 1, got " + limit);
            }
            this.maxIssues = limit;
            return this;
        }

        /** @return the validator */
        public DatasetValidator build() {
            return new DatasetValidator(this);
        }
    }
}
