package dev.koder.training.sentencetransformers;

import dev.koder.training.api.AdapterType;
import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.Objective;
import dev.koder.training.api.Strategy;
import dev.koder.training.api.Violation;
import dev.koder.training.python.AdapterBases;
import dev.koder.training.python.PythonEvaluator;
import dev.koder.training.python.PythonRunner;
import dev.koder.training.python.PythonTrainer;
import dev.koder.training.python.Requirements;
import dev.koder.training.spi.LaunchPlan;
import dev.koder.training.spi.MethodKind;
import dev.koder.training.spi.PluginConfig;
import dev.koder.training.spi.RunContext;
import dev.koder.training.spi.RunnerCapabilities;
import dev.koder.training.spi.RunnerChoice;
import dev.koder.training.spi.TrainingRunner;
import dev.koder.training.spi.TrainingRunnerProvider;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Trains embedding models and rerankers with sentence-transformers: a bi-encoder with in-batch negatives (optionally
 * cached, optionally Matryoshka) on pairs data, or a cross-encoder with binary cross-entropy on scored pairs or a
 * listwise loss on groups; full, or with a LoRA adapter through peft. The job's retrieval or re-ranking figures are
 * reported for the base model before training, at every save and at the end. Runs anywhere PyTorch runs.
 *
 * <p>Its Python: {@code training.python.sentence-transformers} (or {@code training.python}), else a managed
 * environment with {@code requirements.txt} beside this class, made on first use.
 */
public final class SentenceTransformersRunner extends PythonRunner {

    /** The runner's name. */
    public static final String NAME = "sentence-transformers";
    static final String TRAIN_SCRIPT = "st_train.py";
    static final Requirements REQUIREMENTS = Requirements.fromResource(NAME, SentenceTransformersRunner.class,
            "requirements.txt");
    private static final Set<MethodKind> METHODS = Set.of(new MethodKind(Objective.EMBEDDING, AdapterType.FULL),
            new MethodKind(Objective.EMBEDDING, AdapterType.LORA), new MethodKind(Objective.RERANKER, AdapterType.FULL),
            new MethodKind(Objective.RERANKER, AdapterType.LORA));

    /**
     * Scores embedding and reranker checkpoints on held-out data with the trainer's own evaluators: pairs as
     * retrieval ({@code eval_ndcg_at_10}, {@code eval_mrr_at_10}, {@code eval_map_at_100}, recall at 1, 10 and
     * 100), groups and scored pairs as re-ranking, beside the base model's.
     */
    static final String EVAL_SCRIPT = "encoder_eval.py";

    private final PythonEvaluator evaluator;

    /** @param config plugin configuration: the properties of {@link PythonTrainer} */
    public SentenceTransformersRunner(PluginConfig config) {
        super(NAME, new PythonTrainer(NAME, REQUIREMENTS, config, List.of(
                new PythonTrainer.Script(SentenceTransformersRunner.class, TRAIN_SCRIPT),
                new PythonTrainer.Script(SentenceTransformersRunner.class, "encoder_data.py"),
                new PythonTrainer.Script(SentenceTransformersRunner.class, "tiny_encoder.py"),
                new PythonTrainer.Script(SentenceTransformersRunner.class, "score_encoder.py"),
                new PythonTrainer.Script(SentenceTransformersRunner.class, EVAL_SCRIPT))));
        this.evaluator = new PythonEvaluator(python(), EVAL_SCRIPT, DatasetFormat::encoder);
    }

    /** Scores encoder checkpoints (pairs, groups, scored pairs) with the trainer's evaluators, not language models. */
    @Override
    public java.util.Optional<dev.koder.training.spi.CheckpointEvaluator> evaluator() {
        return java.util.Optional.of(evaluator);
    }

    @Override
    public RunnerCapabilities capabilities() {
        return new RunnerCapabilities(METHODS, Set.of(DatasetFormat.PAIRS, DatasetFormat.SCORED_PAIRS,
                DatasetFormat.GROUPS), true, true);
    }

    @Override
    public List<Violation> check(JobSpec spec) {
        List<Violation> problems = new ArrayList<>();
        if (AdapterBases.startsFromAdapter(spec)) {
            problems.add(new Violation("/base_model", "runner '" + NAME + "' starts from a whole model: a LoRA "
                    + "checkpoint is continued from its merged copy (method." + spec.method().objective().wireName()
                    + ".merged_copy) or by a full job from the base"));
        }
        if (spec.resources().strategy() == Strategy.FSDP) {
            problems.add(new Violation("/resources/strategy", "runner '" + NAME + "' trains on several GPUs with ddp "
                    + "(encoders fit one GPU), got fsdp"));
        }
        return problems;
    }

    /** The runner of the encoder objectives, which no other runner of the SDK trains. */
    @Override
    public RunnerChoice choice(JobSpec spec) {
        return new RunnerChoice(20, "trains embedding and reranker models");
    }

    @Override
    public LaunchPlan prepare(JobSpec spec, RunContext context) throws IOException {
        return python().launch(spec, context, TRAIN_SCRIPT, Map.of());
    }

    /** Finds the runner through ServiceLoader. */
    public static final class Provider implements TrainingRunnerProvider {
        @Override
        public String name() {
            return NAME;
        }

        @Override
        public TrainingRunner create(PluginConfig config) {
            return new SentenceTransformersRunner(config);
        }
    }
}
