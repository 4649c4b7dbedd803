package dev.koder.training.core.spec;

import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.path.PathType;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.Hyperparameters;
import dev.koder.training.api.InvalidSpecException;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.RetrievalData;
import dev.koder.training.api.Violation;
import dev.koder.training.spi.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import tools.jackson.core.JacksonException;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The JSON form of {@link JobSpec}: read with every violation reported at once, written in the canonical
 * layout.
 *
 * <p>Reading runs two passes that share their rules with the builder. The JSON Schema (shipped in
 * training-api) catches what Java types cannot express: unknown keys, wrong JSON types, unknown enum
 * values. Those values are pruned and the rest goes through {@link JobSpec.Builder#build()}, whose
 * messages win for every rule both know. So a mistake reads the same whether it was made in JSON or in
 * code.
 *
 * <pre>{@code
 * JobSpec spec = JobSpecJson.read(Path.of("examples/specs/lora.json"));
 * String json = JobSpecJson.write(spec);
 * }</pre>
 */
public final class JobSpecJson {

    private static final Set<String> STRUCTURAL = Set.of("type", "additionalProperties", "enum", "const",
            "false");
    private static final Set<String> RANGE = Set.of("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum");
    private static final Schema SCHEMA = loadSchema();

    private JobSpecJson() {
    }

    /**
     * Reads a spec file. Relative dataset and model paths are resolved against the file's folder.
     *
     * @param file the spec file
     * @return the spec
     * @throws InvalidSpecException listing every violation, titled with the file name
     * @throws UncheckedIOException when the file cannot be read
     */
    public static JobSpec read(Path file) {
        String json;
        try {
            json = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new InvalidSpecException("Cannot read job spec " + file,
                    List.of(new Violation("", "file not found")));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read job spec " + file + ": " + e.getMessage(), e);
        }
        Path base = file.toAbsolutePath().getParent();
        return resolvePaths(parse(json, "Invalid job spec " + file), base);
    }

    /**
     * @param json the spec as JSON text
     * @return the spec, paths as written
     * @throws InvalidSpecException listing every violation
     */
    public static JobSpec parse(String json) {
        return parse(json, "Invalid job spec");
    }

    private static JobSpec parse(String json, String title) {
        Result r = check(json);
        if (!r.violations.isEmpty()) {
            throw new InvalidSpecException(title, r.violations);
        }
        return r.spec;
    }

    /**
     * @param json the spec as JSON text
     * @return every violation; empty when the spec is valid
     */
    public static List<Violation> violations(String json) {
        return check(json).violations;
    }

    /**
     * Checks a document against the JSON Schema alone, without the SDK's own rules. Tools that edit specs can
     * use it; the SDK itself always runs both.
     *
     * @param json the spec as JSON text
     * @return what the schema finds, pointers as {@link #violations} gives them
     */
    public static List<Violation> schemaViolations(String json) {
        JsonNode tree = Json.MAPPER.readTree(json);
        List<Violation> out = new ArrayList<>();
        for (Error e : SCHEMA.validate(tree)) {
            out.add(new Violation(pointerOf(e), describe(e)));
        }
        return out;
    }

    /** @param spec a spec @return its canonical JSON, indented, with every default filled in */
    public static String write(JobSpec spec) {
        ObjectNode tree = (ObjectNode) Json.MAPPER.valueToTree(spec);
        if (tree.get("hyperparameters") instanceof ObjectNode h) {
            if (spec.hyperparameters().autoMicroBatch()) {
                h.put("micro_batch_size", AUTO);
            }
            if (spec.hyperparameters().autoMicroBatchTokens()) {
                h.put("micro_batch_tokens", AUTO);
            }
            if (spec.hyperparameters().autoGradientCheckpointing()) {
                h.put("gradient_checkpointing", AUTO);
            }
        }
        return Json.writePretty(tree);
    }

    /** What a spec writes for a value chosen at admission. */
    static final String AUTO = "auto";

    /**
     * A value that may be a number (or boolean) or "auto" fails both branches of the schema's anyOf: one violation,
     * the branch's message with {@code or "auto"} added, instead of two.
     */
    private static List<Violation> mergeAuto(List<Violation> violations) {
        String constant = "must be the constant value '" + AUTO + "'";
        List<Violation> out = new ArrayList<>();
        for (Violation v : violations) {
            if (v.message().equals(constant) && violations.stream().anyMatch(o -> o != v
                    && o.pointer().equals(v.pointer()))) {
                continue;
            }
            boolean alsoAuto = violations.stream().anyMatch(o -> o.pointer().equals(v.pointer())
                    && o.message().equals(constant));
            int got = v.message().indexOf(", got ");
            out.add(alsoAuto && got > 0 ? new Violation(v.pointer(), v.message().substring(0, got) + " or \"" + AUTO
                    + "\"" + v.message().substring(got)) : v);
        }
        return out;
    }

    /** Turns the JSON spelling of auto values into the Java one: micro-batch {@link Hyperparameters#AUTO}, null. */
    private static void readAuto(ObjectNode root) {
        if (root.get("hyperparameters") instanceof ObjectNode h) {
            for (String key : List.of("micro_batch_size", "micro_batch_tokens")) {
                if (AUTO.equals(h.path(key).asString(null))) {
                    h.put(key, Hyperparameters.AUTO);
                }
            }
            if (AUTO.equals(h.path("gradient_checkpointing").asString(null))) {
                h.remove("gradient_checkpointing");
            }
        }
    }

    /**
     * Makes relative dataset and model paths absolute.
     *
     * @param spec a spec
     * @param base the folder relative paths are relative to
     * @return the spec with absolute paths (the same instance when nothing changes)
     */
    public static JobSpec resolvePaths(JobSpec spec, Path base) {
        JobSpec.Builder b = spec.toBuilder();
        b.trainingData(resolve(spec.trainingData(), base));
        spec.validationData().ifPresent(v -> b.validationData(resolve(v, base)));
        spec.retrievalData().ifPresent(r -> b.retrievalData(r.path() != null
                ? RetrievalData.folder(absolute(r.path(), base))
                : RetrievalData.files(absolute(r.queries(), base).toString(), absolute(r.corpus(), base).toString(),
                        absolute(r.judgements(), base).toString())));
        String model = spec.baseModel();
        if (model.startsWith("./") || model.startsWith("../")) {
            b.baseModel(base.resolve(model).normalize().toString());
        } else if (model.startsWith("~/")) {
            b.baseModel(Path.of(System.getProperty("user.home")).resolve(model.substring(2)).normalize().toString());
        }
        JobSpec resolved = b.build();
        return resolved.equals(spec) ? spec : resolved;
    }

    private static DatasetRef resolve(DatasetRef ref, Path base) {
        return DatasetRef.of(absolute(ref.path(), base), ref.format());
    }

    private static Path absolute(String path, Path base) {
        Path p = path.startsWith("~/") ? Path.of(System.getProperty("user.home")).resolve(path.substring(2))
                : Path.of(path);
        return (p.isAbsolute() ? p : base.resolve(p)).normalize();
    }

    private record Result(JobSpec spec, List<Violation> violations) {
    }

    private static Result check(String json) {
        JsonNode tree;
        try {
            tree = Json.MAPPER.readTree(json);
        } catch (StreamReadException e) {
            var loc = e.getLocation();
            String where = loc == null ? "" : "line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ": ";
            return new Result(null, List.of(new Violation("", where + "not valid JSON: " + e.getOriginalMessage())));
        } catch (JacksonException e) {
            return new Result(null, List.of(new Violation("", "not valid JSON: " + e.getOriginalMessage())));
        }
        if (tree == null || tree.isMissingNode()) {
            return new Result(null, List.of(new Violation("", "the document is empty")));
        }
        List<Violation> structural = new ArrayList<>();
        List<Violation> valueRules = new ArrayList<>();
        Set<String> pruned = new LinkedHashSet<>();
        for (Error e : SCHEMA.validate(tree)) {
            String pointer = pointerOf(e);
            Violation v = new Violation(pointer, describe(e));
            if (STRUCTURAL.contains(e.getKeyword())) {
                structural.add(v);
                pruned.add(pointer);
            } else {
                valueRules.add(v);
            }
        }
        if (!tree.isObject()) {
            return new Result(null, structural);
        }
        ObjectNode copy = (ObjectNode) tree.deepCopy();
        readAuto(copy);
        pruned.stream().sorted(Comparator.comparingInt(String::length).reversed()).forEach(p -> remove(copy, p));
        List<Violation> rules = List.of();
        JobSpec spec = null;
        for (int attempt = 0; attempt < 8; attempt++) {
            try {
                spec = Json.MAPPER.treeToValue(copy, JobSpec.class);
                rules = List.of();
                break;
            } catch (JacksonException e) {
                InvalidSpecException invalid = findInvalid(e);
                if (invalid != null) {
                    rules = invalid.violations();
                    break;
                }
                // A value the schema already flagged but Java types cannot hold (an int out of range):
                // drop it and try again; the schema's message reports it.
                String p = pathOf(e);
                if (p.isEmpty() || !remove(copy, p)) {
                    structural.add(new Violation(p, e.getOriginalMessage()));
                    break;
                }
                pruned.add(p);
            }
        }
        List<Violation> all = new ArrayList<>(structural);
        for (Violation v : rules) {
            if (pruned.stream().noneMatch(p -> v.pointer().equals(p) || v.pointer().startsWith(p + "/"))) {
                all.add(v);
            }
        }
        for (Violation v : valueRules) {
            if (all.stream().noneMatch(a -> a.pointer().equals(v.pointer()))) {
                all.add(v);
            }
        }
        List<Violation> distinct = inDocumentOrder(tree, mergeAuto(new ArrayList<>(new LinkedHashSet<>(all))));
        return new Result(distinct.isEmpty() ? spec : null, distinct);
    }

    /** Sorts violations by where their value (or, for a missing value, its parent) appears in the document. */
    private static List<Violation> inDocumentOrder(JsonNode tree, List<Violation> violations) {
        Map<String, Integer> order = new HashMap<>();
        walk(tree, "", order);
        violations.sort(Comparator.comparingInt(v -> {
            for (String p = v.pointer(); ; p = p.substring(0, p.lastIndexOf('/'))) {
                Integer i = order.get(p);
                if (i != null || p.isEmpty()) {
                    return i == null ? 0 : i;
                }
            }
        }));
        return List.copyOf(violations);
    }

    private static void walk(JsonNode node, String pointer, Map<String, Integer> order) {
        order.put(pointer, order.size());
        if (node.isObject()) {
            for (var e : node.properties()) {
                walk(e.getValue(), pointer + "/" + Violation.escape(e.getKey()), order);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                walk(node.get(i), pointer + "/" + i, order);
            }
        }
    }

    private static InvalidSpecException findInvalid(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof InvalidSpecException) {
                return (InvalidSpecException) t;
            }
        }
        return null;
    }

    private static String pathOf(JacksonException e) {
        StringBuilder sb = new StringBuilder();
        for (var ref : e.getPath()) {
            if (ref.getPropertyName() != null) {
                sb.append('/').append(Violation.escape(ref.getPropertyName()));
            } else if (ref.getIndex() >= 0) {
                sb.append('/').append(ref.getIndex());
            }
        }
        return sb.toString();
    }

    private static boolean remove(ObjectNode root, String pointer) {
        if (pointer.isEmpty()) {
            return false;
        }
        int cut = pointer.lastIndexOf('/');
        JsonNode parent = cut == 0 ? root : root.at(pointer.substring(0, cut));
        String last = pointer.substring(cut + 1).replace("~1", "/").replace("~0", "~");
        if (parent instanceof ObjectNode) {
            return ((ObjectNode) parent).remove(last) != null;
        }
        if (parent instanceof ArrayNode) {
            ArrayNode array = (ArrayNode) parent;
            int i = Integer.parseInt(last);
            if (i < array.size()) {
                array.set(i, tools.jackson.databind.node.JsonNodeFactory.instance.nullNode());
                return true;
            }
        }
        return false;
    }

    private static String pointerOf(Error e) {
        String base = e.getInstanceLocation().toString();
        if ("/".equals(base)) {
            base = "";
        }
        String keyword = e.getKeyword();
        if (Set.of("additionalProperties", "required", "propertyNames").contains(keyword) && e.getProperty() != null) {
            return base + "/" + Violation.escape(e.getProperty());
        }
        return base;
    }

    private static String describe(Error e) {
        JsonNode schemaValue = e.getSchemaNode();
        JsonNode value = e.getInstanceNode();
        switch (e.getKeyword()) {
            case "required":
                return "is required";
            case "additionalProperties":
                return "unknown key" + suggestion(e);
            case "type":
                return "must be " + article(schemaValue.asString()) + ", got " + typeOf(value);
            case "enum":
                String allowed = new ArrayList<JsonNode>(schemaValue.valueStream().toList()).stream()
                        .map(JsonNode::asString).collect(Collectors.joining(", "));
                return "must be one of " + allowed + ", got " + shown(value);
            default:
                if (RANGE.contains(e.getKeyword())) {
                    return rangeMessage(e);
                }
                return e.getMessage().replaceFirst("^\\S*: ", "");
        }
    }

    /** Words a range the way the SDK's own checks do: "must be between 1 and 1024, got 0". */
    private static String rangeMessage(Error e) {
        JsonNode rule = ROOT_SCHEMA.at(parentLocation(e));
        String value = e.getInstanceNode().asString();
        JsonNode min = rule.has("minimum") ? rule.get("minimum") : rule.get("exclusiveMinimum");
        JsonNode max = rule.has("maximum") ? rule.get("maximum") : rule.get("exclusiveMaximum");
        if (min == null || max == null) {
            return e.getMessage().replaceFirst("^\\S*: ", "");
        }
        boolean minExclusive = !rule.has("minimum");
        boolean maxExclusive = !rule.has("maximum");
        if (!minExclusive && !maxExclusive) {
            return "must be between " + min.asString() + " and " + max.asString() + ", got " + value;
        }
        return "must be " + (minExclusive ? "greater than " : "at least ") + min.asString() + " and "
                + (maxExclusive ? "less than " : "at most ") + max.asString() + ", got " + value;
    }

    private static String parentLocation(Error e) {
        String location = e.getSchemaLocation().getFragment().toString();
        return location.substring(0, location.lastIndexOf('/'));
    }

    private static String suggestion(Error e) {
        JsonNode props = e.getSchemaNode() == null ? null : parentProperties(e);
        if (props == null) {
            return "";
        }
        String unknown = e.getProperty();
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        List<String> known = new ArrayList<>();
        for (Iterator<String> it = props.propertyNames().iterator(); it.hasNext(); ) {
            String k = it.next();
            known.add(k);
            int d = distance(unknown.toLowerCase(Locale.ROOT), k);
            if (d < bestDistance) {
                bestDistance = d;
                best = k;
            }
        }
        if (best != null && bestDistance <= Math.max(2, unknown.length() / 3)) {
            return "; did you mean \"" + best + "\"?";
        }
        return "; known keys: " + String.join(", ", known);
    }

    private static JsonNode parentProperties(Error e) {
        String parent = parentLocation(e);
        JsonNode props = ROOT_SCHEMA.at(parent.isEmpty() ? "/properties" : parent + "/properties");
        return props.isMissingNode() ? null : props;
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    private static String article(String type) {
        switch (type) {
            case "integer":
                return "an integer";
            case "object":
                return "an object";
            case "array":
                return "an array";
            default:
                return "a " + type;
        }
    }

    private static String typeOf(JsonNode v) {
        if (v == null || v.isNull()) {
            return "null";
        }
        if (v.isTextual()) {
            return "string " + shown(v);
        }
        if (v.isIntegralNumber()) {
            return "integer " + v.asString();
        }
        if (v.isNumber()) {
            return "number " + v.asString();
        }
        if (v.isBoolean()) {
            return "boolean " + v.asString();
        }
        return v.isArray() ? "an array" : "an object";
    }

    private static String shown(JsonNode v) {
        return v != null && v.isTextual() ? "\"" + v.asString() + "\"" : String.valueOf(v);
    }

    private static final JsonNode ROOT_SCHEMA = readSchemaTree();

    private static JsonNode readSchemaTree() {
        try (InputStream in = JobSpec.class.getResourceAsStream(JobSpec.SCHEMA_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("training-api jar lacks " + JobSpec.SCHEMA_RESOURCE);
            }
            return Json.MAPPER.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Schema loadSchema() {
        SchemaRegistryConfig config = SchemaRegistryConfig.builder().pathType(PathType.JSON_POINTER).build();
        SchemaRegistry registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12,
                b -> b.schemaRegistryConfig(config));
        return registry.getSchema(readSchemaTree());
    }
}
