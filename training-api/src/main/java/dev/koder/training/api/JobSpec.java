package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * One fine-tuning job, fully described and validated: what to train, on what data, how, with which
 * resources. Immutable; made with {@link #builder()} or read from JSON (the JSON form uses the snake_case
 * names shown in the JSON pointers of violations, and the schema {@value #SCHEMA_RESOURCE}).
 *
 * <pre>{@code
 * JobSpec spec = JobSpec.builder()
 *         .name("support-bot-v3")
 *         .tenant("acme")
 *         .tier(Tier.PRO)
 *         .baseModel("meta-llama/Llama-3.2-1B")
 *         .method(TrainingMethod.sftLora(LoraConfig.builder().rank(32).build()))
 *         .trainingData(DatasetRef.of("data/train.jsonl", DatasetFormat.CHAT))
 *         .hyperparameters(Hyperparameters.builder().epochs(2).learningRate(1e-4).build())
 *         .resources(Resources.gpus(1))
 *         .build();
 * }</pre>
 *
 * <p>{@link Builder#build()} checks everything at once and fills in defaults, so every accessor of a built
 * spec returns a value (except the optional validation data, runner and the epochs/steps alternatives).
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY,
        getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE)
@JsonPropertyOrder({"name", "tenant", "tier", "base_model", "method", "hyperparameters", "training_data",
        "validation_data", "retrieval_data", "resources", "runner", "checkpoints", "metadata"})
@JsonInclude(JsonInclude.Include.NON_NULL)
public final class JobSpec {

    /** Class-path location of the JSON Schema of the JSON form. */
    public static final String SCHEMA_RESOURCE = "/dev/koder/training/api/job-spec.schema.json";
    /** Most metadata entries. */
    public static final int MAX_METADATA = 16;
    /** Longest metadata value. */
    public static final int MAX_METADATA_VALUE = 512;

    static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    static final String IDENTIFIER_TEXT =
            "1-64 letters, digits, '.', '_' or '-', starting with a letter or digit";
    static final Pattern BASE_MODEL = Pattern.compile(
            "(/|\\./|\\.\\./|~/).{1,4090}|ft:[A-Za-z0-9._:/-]{3,400}|[A-Za-z0-9][A-Za-z0-9._-]{0,95}(/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?");
    static final Pattern RUNNER = Pattern.compile("[a-z][a-z0-9-]{0,31}");
    static final Pattern METADATA_KEY = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    @JsonProperty("name")
    private final String name;
    @JsonProperty("tenant")
    private final String tenant;
    @JsonProperty("tier")
    private final Tier tier;
    @JsonProperty("base_model")
    private final String baseModel;
    @JsonProperty("method")
    private final TrainingMethod method;
    @JsonProperty("hyperparameters")
    private final Hyperparameters hyperparameters;
    @JsonProperty("training_data")
    private final DatasetRef trainingData;
    @JsonProperty("validation_data")
    private final DatasetRef validationData;
    @JsonProperty("retrieval_data")
    private final RetrievalData retrievalData;
    @JsonProperty("resources")
    private final Resources resources;
    @JsonProperty("runner")
    private final String runner;
    @JsonProperty("checkpoints")
    private final CheckpointPolicy checkpoints;
    @JsonProperty("metadata")
    private final Map<String, String> metadata;

    private JobSpec(Builder b, TrainingMethod method, Hyperparameters hyperparameters, Resources resources,
            CheckpointPolicy checkpoints) {
        this.name = b.name;
        this.tenant = b.tenant;
        this.tier = b.tier == null ? Tier.FREE : b.tier;
        this.baseModel = b.baseModel;
        this.method = method;
        this.hyperparameters = hyperparameters;
        this.trainingData = b.trainingData;
        this.validationData = b.validationData;
        this.retrievalData = b.retrievalData;
        this.resources = resources;
        this.runner = b.runner;
        this.checkpoints = checkpoints;
        this.metadata = Collections.unmodifiableMap(new TreeMap<>(b.metadata));
    }

    /** @return an empty builder */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder holding this spec's values, to make a changed copy */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.name = name;
        b.tenant = tenant;
        b.tier = tier;
        b.baseModel = baseModel;
        b.method = method;
        b.hyperparameters = hyperparameters;
        b.trainingData = trainingData;
        b.validationData = validationData;
        b.retrievalData = retrievalData;
        b.resources = resources;
        b.runner = runner;
        b.checkpoints = checkpoints;
        b.metadata.putAll(metadata);
        return b;
    }

    @JsonCreator
    static JobSpec fromJson(
            @JsonProperty("name") String name,
            @JsonProperty("tenant") String tenant,
            @JsonProperty("tier") Tier tier,
            @JsonProperty("base_model") String baseModel,
            @JsonProperty("method") TrainingMethod method,
            @JsonProperty("hyperparameters") Hyperparameters hyperparameters,
            @JsonProperty("training_data") DatasetRef trainingData,
            @JsonProperty("validation_data") DatasetRef validationData,
            @JsonProperty("retrieval_data") RetrievalData retrievalData,
            @JsonProperty("resources") Resources resources,
            @JsonProperty("runner") String runner,
            @JsonProperty("checkpoints") CheckpointPolicy checkpoints,
            @JsonProperty("metadata") Map<String, String> metadata) {
        Builder b = builder().name(name).tenant(tenant).tier(tier).baseModel(baseModel).method(method)
                .hyperparameters(hyperparameters).trainingData(trainingData).validationData(validationData)
                .retrievalData(retrievalData).resources(resources).runner(runner).checkpoints(checkpoints);
        if (metadata != null) {
            b.metadata(metadata);
        }
        return b.build();
    }

    /** @return the job's name, unique enough for people to find it; 1-64 of [A-Za-z0-9._-] */
    public String name() {
        return name;
    }

    /** @return the tenant (team or customer) that owns and pays for the job */
    public String tenant() {
        return tenant;
    }

    /** @return the tenant's service tier; default free */
    public Tier tier() {
        return tier;
    }

    /**
     * @return a Hugging Face model id ({@code org/name}), a local model folder, a model root's folder by its
     *     relative name, or one of the tenant's registered checkpoints by its id ({@code ckpt-...}) or its
     *     {@code ft:} name (the service resolves the last three to a folder when the job is submitted)
     */
    public String baseModel() {
        return baseModel;
    }

    /** @return objective x adapter with every setting resolved */
    public TrainingMethod method() {
        return method;
    }

    /** @return optimisation settings with defaults resolved */
    public Hyperparameters hyperparameters() {
        return hyperparameters;
    }

    /** @return the training dataset */
    public DatasetRef trainingData() {
        return trainingData;
    }

    /** @return the validation dataset, if any */
    public Optional<DatasetRef> validationData() {
        return Optional.ofNullable(validationData);
    }

    /** @return the retrieval evaluation set of an embedding or reranker job, if any */
    public Optional<RetrievalData> retrievalData() {
        return Optional.ofNullable(retrievalData);
    }

    /** @return GPUs or CPU the job needs */
    public Resources resources() {
        return resources;
    }

    /** @return the runner's name, or empty to let the service pick its default runner */
    public Optional<String> runner() {
        return Optional.ofNullable(runner);
    }

    /** @return checkpoint frequency and retention */
    public CheckpointPolicy checkpoints() {
        return checkpoints;
    }

    /** @return free-form labels, sorted by key; at most 16 */
    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof JobSpec)) {
            return false;
        }
        JobSpec s = (JobSpec) o;
        return name.equals(s.name) && tenant.equals(s.tenant) && tier == s.tier && baseModel.equals(s.baseModel)
                && method.equals(s.method) && hyperparameters.equals(s.hyperparameters)
                && trainingData.equals(s.trainingData) && Objects.equals(validationData, s.validationData)
                && Objects.equals(retrievalData, s.retrievalData)
                && resources.equals(s.resources) && Objects.equals(runner, s.runner)
                && checkpoints.equals(s.checkpoints) && metadata.equals(s.metadata);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, tenant, tier, baseModel, method, hyperparameters, trainingData, validationData,
                retrievalData, resources, runner, checkpoints, metadata);
    }

    @Override
    public String toString() {
        return "JobSpec[" + name + " " + tenant + "/" + tier.wireName() + " " + method.label() + " on " + baseModel
                + "]";
    }

    /**
     * Builder of {@link JobSpec}. Setters only record values; {@link #build()} checks them all and reports
     * every violation in one {@link InvalidSpecException}, exactly as reading the same spec from JSON does.
     */
    public static final class Builder {
        private String name;
        private String tenant;
        private Tier tier;
        private String baseModel;
        private TrainingMethod method;
        private Hyperparameters hyperparameters;
        private DatasetRef trainingData;
        private DatasetRef validationData;
        private RetrievalData retrievalData;
        private Resources resources;
        private String runner;
        private CheckpointPolicy checkpoints;
        private final Map<String, String> metadata = new LinkedHashMap<>();

        private Builder() {
        }

        /** @param name the job's name, 1-64 of [A-Za-z0-9._-]; required @return this */
        public Builder name(String name) {
            this.name = name;
            return this;
        }

        /** @param tenant owning team or customer, 1-64 of [A-Za-z0-9._-]; required @return this */
        public Builder tenant(String tenant) {
            this.tenant = tenant;
            return this;
        }

        /** @param tier service tier; default free @return this */
        public Builder tier(Tier tier) {
            this.tier = tier;
            return this;
        }

        /** @param baseModel Hugging Face id or local folder; required @return this */
        public Builder baseModel(String baseModel) {
            this.baseModel = baseModel;
            return this;
        }

        /** @param method objective x adapter; required @return this */
        public Builder method(TrainingMethod method) {
            this.method = method;
            return this;
        }

        /** @param hyperparameters optimisation settings; defaults when unset @return this */
        public Builder hyperparameters(Hyperparameters hyperparameters) {
            this.hyperparameters = hyperparameters;
            return this;
        }

        /** @param data training dataset; required @return this */
        public Builder trainingData(DatasetRef data) {
            this.trainingData = data;
            return this;
        }

        /** @param data validation dataset, same format as the training data; optional @return this */
        public Builder validationData(DatasetRef data) {
            this.validationData = data;
            return this;
        }

        /**
         * @param data queries, corpus and relevance judgements on which an embedding or reranker job is scored
         *     before, during and after training; optional
         * @return this
         */
        public Builder retrievalData(RetrievalData data) {
            this.retrievalData = data;
            return this;
        }

        /** @param resources GPUs or CPU; default one GPU of any type @return this */
        public Builder resources(Resources resources) {
            this.resources = resources;
            return this;
        }

        /** @param runner runner name such as {@code trl}; the service default when unset @return this */
        public Builder runner(String runner) {
            this.runner = runner;
            return this;
        }

        /** @param checkpoints checkpoint policy; every epoch keeping 2 when unset @return this */
        public Builder checkpoints(CheckpointPolicy checkpoints) {
            this.checkpoints = checkpoints;
            return this;
        }

        /** @param key label key @param value label value @return this */
        public Builder metadata(String key, String value) {
            this.metadata.put(key, value);
            return this;
        }

        /** @param entries labels to add @return this */
        public Builder metadata(Map<String, String> entries) {
            this.metadata.putAll(entries);
            return this;
        }

        /**
         * Checks every value, fills in defaults and returns the spec.
         *
         * @return the validated spec
         * @throws InvalidSpecException listing every violation with its JSON pointer
         */
        public JobSpec build() {
            Checks c = new Checks();
            if (c.required("/name", name)) {
                c.matches("/name", name, IDENTIFIER, IDENTIFIER_TEXT);
            }
            if (c.required("/tenant", tenant)) {
                c.matches("/tenant", tenant, IDENTIFIER, IDENTIFIER_TEXT);
            }
            if (c.required("/base_model", baseModel)) {
                c.matches("/base_model", baseModel, BASE_MODEL,
                        "a Hugging Face model id (org/name) or a local folder (starting with /, ./, ../ or ~/)");
            }
            TrainingMethod m = null;
            if (c.required("/method", method)) {
                method.check(c, "/method");
                m = method.resolved(trainingData == null ? null : trainingData.format());
            }
            Resources r = resources == null ? Resources.gpus(1) : resources.resolved();
            r.check(c, "/resources");
            Hyperparameters h = hyperparameters == null ? Hyperparameters.builder().build() : hyperparameters;
            int gpus = r.gpus() == null ? 1 : r.gpus();
            h.check(c, "/hyperparameters", m, gpus);
            if (c.required("/training_data", trainingData)) {
                trainingData.check(c, "/training_data");
                checkFormat(c, m, trainingData.format());
            }
            if (validationData != null) {
                validationData.check(c, "/validation_data");
                if (trainingData != null && trainingData.format() != null && validationData.format() != null
                        && trainingData.format() != validationData.format()) {
                    c.add("/validation_data/format", "must match the training data's format "
                            + trainingData.format().wireName() + ", got " + validationData.format().wireName());
                }
            }
            if (retrievalData != null) {
                retrievalData.check(c, "/retrieval_data");
                if (m != null && m.objective() != null && m.objective().languageModel()) {
                    c.add("/retrieval_data", "only applies to objectives embedding and reranker, got "
                            + m.objective().wireName());
                }
            }
            if (m != null && m.adapter() == AdapterType.QLORA && r.isCpu()) {
                c.add("/resources/gpus", "qlora needs a GPU (4-bit bitsandbytes kernels run on CUDA only), got 0");
            }
            if (r.isCpu() && r.strategy() == Strategy.FSDP) {
                c.add("/resources/strategy", "fsdp shards over GPUs and needs gpus of at least 2, got 0");
            }
            if (m != null && m.adapter() == AdapterType.QLORA && r.strategy() == Strategy.FSDP) {
                c.add("/resources/strategy", "fsdp does not shard 4-bit weights: use ddp (or auto) with qlora");
            }
            c.matches("/runner", runner, RUNNER, "1-32 lower-case letters, digits or '-', starting with a letter");
            CheckpointPolicy cp = checkpoints == null ? CheckpointPolicy.perEpoch(2).resolved() : checkpoints.resolved();
            (checkpoints == null ? cp : checkpoints).check(c, "/checkpoints");
            cp.check(c, "/checkpoints", m == null ? null : m.objective(), validationData != null);
            checkMetadata(c);
            var violations = c.violations();
            if (!violations.isEmpty()) {
                throw new InvalidSpecException(violations);
            }
            return new JobSpec(this, m, h.resolved(m, gpus), r, cp);
        }

        private static void checkFormat(Checks c, TrainingMethod m, DatasetFormat format) {
            if (m == null || m.objective() == null || format == null) {
                return;
            }
            if (m.objective() == Objective.DPO && format != DatasetFormat.PREFERENCE) {
                c.add("/training_data/format", "objective dpo needs preference data, got " + format.wireName());
            } else if (m.objective() == Objective.SFT && (format == DatasetFormat.PREFERENCE || format.encoder())) {
                c.add("/training_data/format",
                        "objective sft takes chat, prompt-completion or alpaca data, got " + format.wireName());
            } else if (m.objective() == Objective.EMBEDDING && format != DatasetFormat.PAIRS) {
                c.add("/training_data/format", "objective embedding needs pairs data, got " + format.wireName());
            } else if (m.objective() == Objective.RERANKER && format != DatasetFormat.SCORED_PAIRS
                    && format != DatasetFormat.GROUPS) {
                c.add("/training_data/format",
                        "objective reranker takes scored-pairs or groups data, got " + format.wireName());
            } else if (m.objective() == Objective.RERANKER && m.reranker() != null && m.reranker().loss() != null
                    && m.reranker().loss().listwise() && format != DatasetFormat.GROUPS) {
                c.add("/method/reranker/loss", "loss " + m.reranker().loss().wireName() + " ranks a query's "
                        + "candidates together and needs groups data, got " + format.wireName()
                        + "; use binary_cross_entropy for scored-pairs");
            }
        }

        private void checkMetadata(Checks c) {
            if (metadata.size() > MAX_METADATA) {
                c.add("/metadata", "must have at most " + MAX_METADATA + " entries, got " + metadata.size());
            }
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                if (e.getKey() == null) {
                    c.add("/metadata", "keys must not be null");
                    continue;
                }
                String at = Checks.at("/metadata", e.getKey());
                c.matches(at, e.getKey(), METADATA_KEY, "keyed by 1-64 letters, digits, '_', '.' or '-'");
                if (c.required(at, e.getValue())) {
                    c.maxLength(at, e.getValue(), MAX_METADATA_VALUE);
                }
            }
        }
    }
}
