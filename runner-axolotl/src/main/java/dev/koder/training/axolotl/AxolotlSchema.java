package dev.koder.training.axolotl;

import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.dialect.Dialect;
import com.networknt.schema.dialect.Dialects;
import com.networknt.schema.keyword.AnnotationKeyword;
import com.networknt.schema.path.PathType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Checks an axolotl config before it is written: against axolotl 0.18.0's own JSON Schema (the pydantic model
 * {@code AxolotlInputConfig}, shipped beside this class), then for what the schema cannot say. axolotl's models
 * silently drop unknown keys, so a misspelled key would only surface as a different error later: every
 * top-level key must be one of the schema's properties, and every key of a dataset block, of
 * {@code special_tokens} and of {@code gradient_checkpointing_kwargs} one its definitions allow. And the rules
 * axolotl enforces in code: QLoRA loads in 4 bits, an adapter has a rank, DPO data is not packed, warm-up is a
 * ratio or a number of steps, not both.
 */
final class AxolotlSchema {

    static final String VERSION = "0.18.0";
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final JsonNode TREE = read();
    private static final Schema SCHEMA = compile(TREE);

    private AxolotlSchema() {
    }

    private static JsonNode read() {
        try (InputStream in = AxolotlSchema.class.getResourceAsStream("axolotl-config.schema.json")) {
            if (in == null) {
                throw new IllegalStateException("runner-axolotl lacks axolotl-config.schema.json");
            }
            return JSON.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Schema compile(JsonNode tree) {
        SchemaRegistryConfig config = SchemaRegistryConfig.builder().pathType(PathType.JSON_POINTER).build();
        // axolotl's schema (pydantic's) carries "help" beside "description": an annotation, not a rule, and one the
        // validator would otherwise warn about on every load
        Dialect dialect = Dialect.builder(Dialects.getDraft202012()).keyword(new AnnotationKeyword("help")).build();
        return SchemaRegistry.withDefaultDialect(dialect, b -> b.schemaRegistryConfig(config)).getSchema(tree);
    }

    /**
     * @param config a config as it will be written
     * @return every problem, each naming the key; empty when axolotl 0.18 takes it as meant
     */
    static List<String> problems(Map<String, Object> config) {
        JsonNode node = JSON.valueToTree(config);
        List<String> out = new ArrayList<>();
        Set<String> top = names(TREE.path("properties"));
        for (Iterator<String> it = node.propertyNames().iterator(); it.hasNext();) {
            String key = it.next();
            if (!top.contains(key)) {
                out.add(key + ": not an axolotl " + VERSION + " key (axolotl would drop it silently)");
            }
        }
        Set<String> datasetKeys = datasetKeys();
        for (String list : List.of("datasets", "test_datasets")) {
            JsonNode items = node.path(list);
            for (int i = 0; i < items.size(); i++) {
                for (Iterator<String> it = items.get(i).propertyNames().iterator(); it.hasNext();) {
                    String key = it.next();
                    if (!datasetKeys.contains(key)) {
                        out.add(list + "[" + i + "]." + key + ": not a key of an axolotl " + VERSION + " dataset");
                    }
                }
            }
        }
        nested(node, "special_tokens", names(TREE.path("$defs").path("SpecialTokensConfig").path("properties")), out);
        nested(node, "gradient_checkpointing_kwargs", Set.of("use_reentrant", "preserve_rng_state",
                "determinism_check", "debug"), out);
        for (Error e : SCHEMA.validate(node)) {
            String at = e.getInstanceLocation().toString();
            out.add((at.isEmpty() || at.equals("/") ? "(config)" : at.substring(1).replace('/', '.')) + ": "
                    + e.getMessage());
        }
        rules(node, out);
        return out;
    }

    private static void rules(JsonNode c, List<String> out) {
        String adapter = c.path("adapter").asString("");
        if (adapter.equals("qlora") && !c.path("load_in_4bit").asBoolean(false)) {
            out.add("load_in_4bit: adapter qlora needs load_in_4bit: true");
        }
        if (c.path("load_in_4bit").asBoolean(false) && c.path("load_in_8bit").asBoolean(false)) {
            out.add("load_in_8bit: cannot load in 4 and 8 bits at once");
        }
        if ((c.path("load_in_4bit").asBoolean(false) || c.path("load_in_8bit").asBoolean(false)) && adapter.isEmpty()) {
            out.add("adapter: loading in 4 or 8 bits needs an adapter (lora or qlora)");
        }
        if (!adapter.isEmpty() && !Set.of("lora", "qlora").contains(adapter)) {
            out.add("adapter: must be lora or qlora, got " + adapter);
        }
        if (!adapter.isEmpty() && !c.hasNonNull("lora_r")) {
            out.add("lora_r: adapter " + adapter + " needs a rank");
        }
        if (c.hasNonNull("rl") && c.path("sample_packing").asBoolean(false)) {
            out.add("sample_packing: cannot be used with rl (" + c.path("rl").asString() + ")");
        }
        if (c.hasNonNull("warmup_steps") && c.hasNonNull("warmup_ratio")) {
            out.add("warmup_steps: cannot be used with warmup_ratio");
        }
        if (c.hasNonNull("save_steps") && c.hasNonNull("saves_per_epoch")) {
            out.add("saves_per_epoch: cannot be used with save_steps");
        }
        if (c.hasNonNull("eval_steps") && c.hasNonNull("evals_per_epoch")) {
            out.add("evals_per_epoch: cannot be used with eval_steps");
        }
        if (!c.hasNonNull("max_steps") && !c.hasNonNull("num_epochs")) {
            out.add("num_epochs: neither num_epochs nor max_steps is set");
        }
    }

    private static void nested(JsonNode c, String key, Set<String> allowed, List<String> out) {
        JsonNode n = c.path(key);
        if (n.isObject()) {
            for (Iterator<String> it = n.propertyNames().iterator(); it.hasNext();) {
                String k = it.next();
                if (!allowed.contains(k)) {
                    out.add(key + "." + k + ": not an axolotl " + VERSION + " key");
                }
            }
        }
    }

    /** The keys a dataset block may hold: any of the dataset definitions the schema's datasets list allows. */
    static Set<String> datasetKeys() {
        Set<String> keys = new TreeSet<>();
        for (JsonNode alt : TREE.path("properties").path("datasets").path("anyOf")) {
            for (JsonNode ref : alt.path("items").path("anyOf")) {
                String name = ref.path("$ref").asString("").replace("#/$defs/", "");
                keys.addAll(names(TREE.path("$defs").path(name).path("properties")));
            }
        }
        return keys;
    }

    private static Set<String> names(JsonNode object) {
        Set<String> out = new LinkedHashSet<>();
        object.propertyNames().forEach(out::add);
        return out;
    }
}
