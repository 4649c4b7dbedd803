package dev.koder.training.core.estimate;

import dev.koder.training.core.artifact.SafetensorsHeader;
import dev.koder.training.core.internal.HuggingFaceCache;
import dev.koder.training.spi.Json;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * The size and shape of a transformer, read from its config.json, with the parameter count taken from its
 * safetensors headers when they are there (exact) or computed from the config: Llama-style decoder layers
 * (attention q/k/v/o, gated MLP gate/up/down, norms, embeddings, output head), or the encoders of embedding models
 * and rerankers: BERT, RoBERTa and XLM-RoBERTa (query/key/value, three dense projections with biases, LayerNorms,
 * word, position and token-type embeddings, pooler) and ModernBERT (fused Wqkv, Wo, gated Wi, Wo, no biases).
 *
 * @param parameters all parameters
 * @param exact whether the count comes from the weights' headers
 * @param hidden hidden size
 * @param layers decoder layers
 * @param heads attention heads
 * @param kvHeads key/value heads
 * @param intermediate MLP width
 * @param vocab vocabulary size
 * @param tied whether the output head shares the embedding
 * @param source where it was read
 * @param family the config's {@code model_type} ({@code llama}, {@code qwen2}, {@code mistral}, {@code gemma},
 *     {@code phi}, ...); {@code llama} when the config does not say
 * @param headDim width of an attention head ({@code head_dim}, else hidden / heads)
 */
public record ModelShape(long parameters, boolean exact, int hidden, int layers, int heads, int kvHeads,
        int intermediate, int vocab, boolean tied, String source, String family, int headDim) {

    /** A Llama-family shape whose heads are hidden / heads wide. */
    public ModelShape(long parameters, boolean exact, int hidden, int layers, int heads, int kvHeads,
            int intermediate, int vocab, boolean tied, String source) {
        this(parameters, exact, hidden, layers, heads, kvHeads, intermediate, vocab, tied, source, "llama",
                hidden / Math.max(1, heads));
    }

    /** The {@code model_type}s of the encoder families the estimate knows. */
    static final Set<String> ENCODERS = Set.of("bert", "roberta", "xlm-roberta", "modernbert");

    /** @return whether the model is a bidirectional encoder (BERT-like or ModernBERT), not a decoder */
    public boolean encoder() {
        return ENCODERS.contains(family);
    }

    /**
     * The projection modules of a layer, with their input and output width, by the name peft matches a target
     * against: its own name, or the end of its path after a dot ({@code dense} is all three of a BERT layer's).
     */
    public Map<String, long[]> linears() {
        long q = (long) heads * headDim;
        long kv = (long) kvHeads * headDim;
        if (family.equals("modernbert")) {
            return Map.of("attn.Wqkv", new long[] {hidden, 3L * hidden}, "attn.Wo", new long[] {hidden, hidden},
                    "mlp.Wi", new long[] {hidden, 2L * intermediate}, "mlp.Wo", new long[] {intermediate, hidden});
        }
        if (encoder()) {
            return Map.of("query", new long[] {hidden, hidden}, "key", new long[] {hidden, hidden},
                    "value", new long[] {hidden, hidden}, "attention.output.dense", new long[] {hidden, hidden},
                    "intermediate.dense", new long[] {hidden, intermediate},
                    "output.dense", new long[] {intermediate, hidden});
        }
        if (family.equals("phi")) {
            return Map.of("q_proj", new long[] {hidden, q}, "k_proj", new long[] {hidden, kv},
                    "v_proj", new long[] {hidden, kv}, "dense", new long[] {q, hidden},
                    "fc1", new long[] {hidden, intermediate}, "fc2", new long[] {intermediate, hidden});
        }
        return Map.of("q_proj", new long[] {hidden, q}, "k_proj", new long[] {hidden, kv},
                "v_proj", new long[] {hidden, kv}, "o_proj", new long[] {q, hidden},
                "gate_proj", new long[] {hidden, intermediate}, "up_proj", new long[] {hidden, intermediate},
                "down_proj", new long[] {intermediate, hidden});
    }

    /**
     * @param rank LoRA rank
     * @param targets target module names, or {@code all-linear}
     * @return parameters of the adapter
     */
    public long loraParameters(int rank, List<String> targets) {
        long total = 0;
        for (long[] io : adapted(targets).values()) {
            total += (long) rank * (io[0] + io[1]) * layers;
        }
        return total;
    }

    /**
     * @param targets LoRA target module names, or {@code all-linear}
     * @return the layer's projections an adapter on those targets adapts, as peft matches them (a module whose name
     *     is a target or ends with "." and a target)
     */
    public Map<String, long[]> adapted(List<String> targets) {
        Map<String, long[]> out = new java.util.LinkedHashMap<>();
        boolean all = targets.contains("all-linear");
        new java.util.TreeMap<>(linears()).forEach((name, io) -> {
            if (all || targets.stream().anyMatch(t -> name.equals(t) || name.endsWith("." + t))) {
                out.put(name, io);
            }
        });
        return out;
    }

    /** @return parameters of the embedding and output head (kept in 16 bits by QLoRA) */
    public long embeddingParameters() {
        return (long) vocab * hidden * (tied ? 1 : 2);
    }

    /**
     * Finds a model's config: a local folder, the Hugging Face cache for a hub id, else the built-in catalogue of
     * well-known public models ({@code known-models.json}).
     *
     * @param baseModel a spec's base model
     * @return its shape, if its config.json is on this machine or the model is in the catalogue
     * @throws IOException when the config is there but cannot be read
     */
    public static Optional<ModelShape> find(String baseModel) throws IOException {
        if (baseModel.startsWith("/")) {
            Path dir = Path.of(baseModel);
            if (!Files.isRegularFile(dir.resolve("config.json")) && Files.isRegularFile(dir.resolve(
                    "adapter_config.json"))) {
                // An adapter checkpoint to continue: the shape is its base model's.
                String base;
                try {
                    base = Json.MAPPER.readTree(Files.readString(dir.resolve("adapter_config.json")))
                            .path("base_model_name_or_path").asString("");
                } catch (tools.jackson.core.JacksonException e) {
                    throw new IOException("the adapter's adapter_config.json is not valid JSON");
                }
                return base.isEmpty() || base.equals(baseModel) ? Optional.empty() : find(base);
            }
            return Files.isRegularFile(dir.resolve("config.json")) ? Optional.of(read(dir)) : Optional.empty();
        }
        for (Path snapshot : hubSnapshots(baseModel)) {
            if (Files.isRegularFile(snapshot.resolve("config.json"))) {
                return Optional.of(read(snapshot));
            }
        }
        return known(baseModel);
    }

    /**
     * @param id a hub id, matched without regard to case
     * @return its shape from the built-in catalogue, computed from its published config
     */
    public static Optional<ModelShape> known(String id) {
        for (var e : Catalogue.MODELS.properties()) {
            if (e.getKey().equalsIgnoreCase(id)) {
                try {
                    return Optional.of(of(e.getValue(), 0, CATALOGUE));
                } catch (IOException bad) {
                    throw new IllegalStateException("known-models.json: " + e.getKey() + ": " + bad.getMessage(), bad);
                }
            }
        }
        return Optional.empty();
    }

    static List<Path> hubSnapshots(String id) throws IOException {
        Path snapshots = HuggingFaceCache.repo(id).resolve("snapshots");
        List<Path> out = new ArrayList<>();
        if (Files.isDirectory(snapshots)) {
            try (DirectoryStream<Path> s = Files.newDirectoryStream(snapshots)) {
                s.forEach(out::add);
            }
        }
        return out;
    }

    /**
     * @param dir a model folder with config.json
     * @return its shape
     * @throws IOException when config.json or the weights' headers cannot be read
     */
    public static ModelShape read(Path dir) throws IOException {
        JsonNode c;
        try {
            c = Json.MAPPER.readTree(Files.readString(dir.resolve("config.json")));
        } catch (tools.jackson.core.JacksonException e) {
            throw new IOException("the model's config.json is not valid JSON");
        }
        return of(c, weightParameters(dir), dir.toString());
    }

    private static ModelShape of(JsonNode c, long fromWeights, String source) throws IOException {
        JsonNode text = c.has("text_config") ? c.get("text_config") : c;
        int hidden = intOf(text, "hidden_size", "n_embd", "d_model");
        int layers = intOf(text, "num_hidden_layers", "n_layer", "num_layers");
        int heads = intOf(text, "num_attention_heads", "n_head");
        int kvHeads = text.has("num_key_value_heads") ? text.get("num_key_value_heads").asInt() : heads;
        int intermediate = text.has("intermediate_size") ? text.get("intermediate_size").asInt() : 4 * hidden;
        int vocab = intOf(text, "vocab_size");
        boolean tied = c.path("tie_word_embeddings").asBoolean(text.path("tie_word_embeddings").asBoolean(false));
        String family = text.path("model_type").asString(c.path("model_type").asString("llama"));
        int headDim = text.hasNonNull("head_dim") && text.get("head_dim").canConvertToInt() ? text.get("head_dim").asInt()
                : hidden / Math.max(1, heads);
        ModelShape formula = new ModelShape(0, false, hidden, layers, heads, kvHeads, intermediate, vocab, tied,
                source, family, headDim);
        long weights = formula.linears().values().stream().mapToLong(io -> io[0] * io[1]).sum();
        long computed;
        if (family.equals("modernbert")) {
            // no biases; two LayerNorms a layer (weights only; the first layer's attention has none), one after
            // the embeddings and one at the end
            computed = (long) vocab * hidden + (long) layers * (weights + 2L * hidden) + hidden;
        } else if (formula.encoder()) {
            // biases on every projection, two LayerNorms a layer; word, position and token-type embeddings with
            // their LayerNorm; the pooler
            long biases = formula.linears().values().stream().mapToLong(io -> io[1]).sum();
            long positions = text.path("max_position_embeddings").asLong(512);
            long types = text.path("type_vocab_size").asLong(2);
            computed = (vocab + positions + types) * hidden + 2L * hidden + (long) layers * (weights + biases
                    + 4L * hidden) + (long) hidden * hidden + hidden;
        } else {
            computed = formula.embeddingParameters() + (long) layers * (weights + 2L * hidden) + hidden;
        }
        boolean exact = fromWeights > 0;
        return new ModelShape(exact ? fromWeights : computed, exact, hidden, layers, heads, kvHeads, intermediate,
                vocab, tied, source, family, headDim);
    }

    private static int intOf(JsonNode c, String... names) throws IOException {
        for (String n : names) {
            if (c.has(n) && c.get(n).canConvertToInt()) {
                return c.get(n).asInt();
            }
        }
        throw new IOException("config.json has none of " + String.join(", ", names) + "; cannot size the model");
    }

    private static long weightParameters(Path dir) throws IOException {
        List<Path> files = new ArrayList<>();
        Path index = dir.resolve("model.safetensors.index.json");
        if (Files.isRegularFile(index)) {
            JsonNode map = Json.MAPPER.readTree(Files.readString(index)).path("weight_map");
            Set<String> shards = new LinkedHashSet<>();
            map.properties().forEach(e -> shards.add(e.getValue().asString()));
            shards.forEach(s -> files.add(dir.resolve(s)));
        } else if (Files.isRegularFile(dir.resolve("model.safetensors"))) {
            files.add(dir.resolve("model.safetensors"));
        }
        long total = 0;
        for (Path f : files) {
            if (!Files.isRegularFile(f)) {
                return 0;
            }
            total += SafetensorsHeader.read(f).parameters();
        }
        return total;
    }

    /** @return for example {@code 852,983,808 (counted from the weights)} */
    public String describe() {
        return String.format(Locale.ROOT, "%,d (%s)", parameters, exact ? "counted from the weights"
                : CATALOGUE.equals(source) ? "computed from the published config; the model is not on this machine"
                : "computed from config.json");
    }

    /** Where shapes from the built-in catalogue say they come from. */
    public static final String CATALOGUE = "built-in catalogue";

    private static final class Catalogue {
        static final JsonNode MODELS = load();

        private static JsonNode load() {
            try (var in = ModelShape.class.getResourceAsStream("known-models.json")) {
                return Json.MAPPER.readTree(in).get("models");
            } catch (IOException | RuntimeException e) {
                throw new IllegalStateException("cannot read known-models.json from the jar", e);
            }
        }
    }
}
