package dev.koder.training.cli;

import dev.koder.training.api.AdapterType;
import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.CheckpointPolicy;
import dev.koder.training.api.CheckpointQuery;
import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.DpoConfig;
import dev.koder.training.api.DpoLoss;
import dev.koder.training.api.Hyperparameters;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.LoraConfig;
import dev.koder.training.api.Resources;
import dev.koder.training.api.RetrievalData;
import dev.koder.training.api.Tier;
import dev.koder.training.api.TrainingMethod;
import dev.koder.training.core.Training;
import dev.koder.training.core.internal.Bytes;
import dev.koder.training.core.spec.JobSpecJson;
import dev.koder.training.python.PythonEnvironment;
import dev.koder.training.sentencetransformers.EncoderTools;
import dev.koder.training.sentencetransformers.SentenceTransformersRunner;
import dev.koder.training.spi.PluginConfig;
import dev.koder.training.trl.TrlRunner;
import dev.koder.training.trl.TrlTools;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

@Command(name = "quickstart", description = {"Fine-tune a tiny model end to end on this machine, in about a minute.",
        "Makes a Python environment (first run only), a tiny Llama, trains it with LoRA SFT and then DPO",
        "through the SDK, and shows held-out loss and exact match before and after.",
        "With --embedding: a tiny encoder and a synthetic retrieval task instead, fine-tuned with LoRA as an",
        "embedding model, with held-out NDCG@10 and recall@10 before and after."})
final class QuickstartCommand implements Callable<Integer> {

    static final List<String> FILES = List.of("shout-train.jsonl", "shout-test.jsonl", "shout-prefs.jsonl",
            "shout-test-prefs.jsonl");

    @Option(names = "--home", paramLabel = "DIR", defaultValue = ".training",
            description = "Home directory of the service (default: ${DEFAULT-VALUE}).")
    Path home;

    @Option(names = "--sft-steps", paramLabel = "N", defaultValue = "200", description = "LoRA SFT steps (default: ${DEFAULT-VALUE}).")
    int sftSteps;

    @Option(names = "--dpo-steps", paramLabel = "N", defaultValue = "60", description = "DPO steps (default: ${DEFAULT-VALUE}).")
    int dpoSteps;

    @Option(names = "--embedding", description = "Fine-tune a tiny embedding model on a synthetic retrieval task "
            + "instead.")
    boolean embedding;

    @Option(names = "--embedding-epochs", paramLabel = "N", defaultValue = "8",
            description = "Epochs of the embedding job (default: ${DEFAULT-VALUE}).")
    int embeddingEpochs;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec command;

    private PrintWriter out;
    private long started;
    private int steps = 6;

    @Override
    public Integer call() throws Exception {
        out = command.commandLine().getOut();
        started = System.nanoTime();
        Path root = home.toAbsolutePath().normalize();
        Path run = root.resolve("quickstart").resolve(LocalDateTime.now().format(DateTimeFormatter.ofPattern(
                "yyyyMMdd-HHmmss")));
        if (embedding) {
            return embedding(root, run);
        }
        Files.createDirectories(run.resolve("data"));
        for (String file : FILES) {
            try (InputStream in = QuickstartCommand.class.getResourceAsStream("quickstart/" + file)) {
                Files.copy(in, run.resolve("data").resolve(file), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Path train = run.resolve("data/shout-train.jsonl");
        Path test = run.resolve("data/shout-test.jsonl");
        Path prefs = run.resolve("data/shout-prefs.jsonl");
        Path testPrefs = run.resolve("data/shout-test-prefs.jsonl");
        out.println("Training SDK quickstart: teach a tiny model to answer \"Shout: word\" with the word in capitals.");
        out.println("Everything runs here, on the CPU: no download, no GPU, no server. Files: " + run);

        TrlRunner trl = new TrlRunner(new PluginConfig(root, properties()));
        TrlTools tools = new TrlTools(trl);

        step(1, "Python environment for runner 'trl'");
        PythonEnvironment env = trl.python().environment(line -> detail(line));
        detail(env.toString() + ": " + env.knownProbe().map(p -> "Python " + p.python() + ", torch "
                + p.version("torch").orElse("?") + ", transformers " + p.version("transformers").orElse("?")
                + ", trl " + p.version("trl").orElse("?")).orElse("ready"));

        step(2, "A tiny model, made here");
        Path model = tools.tinyModel(run.resolve("models/tiny-llama"), List.of(train, prefs), 128, run.resolve("work"),
                line -> { });
        detail("random-initialised Llama (2 layers, hidden 128) with a character tokenizer: " + model);

        step(3, "Before training, on 40 held-out words");
        TrlTools.Scores before = tools.evaluate(model, null, test, testPrefs, null, run.resolve("work"), line -> { });
        detail(scores(before));

        // The runner is left to the SDK's choice (shown for each job), with the TRL runner whose environment was just
        // made passed in code, so it wins; a training.runner set for this home does not apply to the demo.
        try (Training training = Training.builder().home(root).runner(trl).property(Training.RUNNER_PROPERTY, "")
                .pollInterval(Duration.ofMillis(100))
                .build()) {
            JobSpec sft = JobSpec.builder().name("quickstart-shout-sft").tenant("quickstart").tier(Tier.PRO)
                    .baseModel(model.toString())
                    .method(TrainingMethod.sftLora(LoraConfig.builder().rank(16).alpha(64).dropout(0.0).build()))
                    .hyperparameters(Hyperparameters.builder().maxSteps(sftSteps).learningRate(2e-3).microBatchSize(16)
                            .maxSeqLength(64).warmupRatio(0.05).gradientCheckpointing(false).build())
                    .trainingData(DatasetRef.of(train, DatasetFormat.CHAT))
                    .validationData(DatasetRef.of(test, DatasetFormat.CHAT))
                    .checkpoints(CheckpointPolicy.everySteps(Math.max(1, sftSteps / 2), 1))
                    .resources(Resources.cpu()).build();
            step(4, "LoRA SFT through the SDK: " + sftSteps + " steps on 460 examples");
            Job sftJob = run(training, sft, run.resolve("specs/sft-lora.json"));
            if (sftJob.status() != JobStatus.SUCCEEDED) {
                return fail(sftJob);
            }
            Path merged = run.resolve("models/tiny-llama-sft");
            TrlTools.Scores afterSft = tools.evaluate(model, Path.of(sftJob.output()), test, testPrefs, merged,
                    run.resolve("work"), line -> { });
            detail("after SFT: " + scores(afterSft));

            JobSpec dpo = sft.toBuilder().name("quickstart-shout-dpo").baseModel(merged.toString())
                    .method(TrainingMethod.dpo(AdapterType.LORA, DpoConfig.of(0.1, DpoLoss.SIGMOID)))
                    .hyperparameters(Hyperparameters.builder().maxSteps(dpoSteps).learningRate(3e-4).microBatchSize(16)
                            .maxSeqLength(64).warmupRatio(0.05).gradientCheckpointing(false).build())
                    .trainingData(DatasetRef.of(prefs, DatasetFormat.PREFERENCE)).validationData(null)
                    .checkpoints(CheckpointPolicy.perEpoch(1)).build();
            step(5, "DPO through the SDK: " + dpoSteps + " steps on 460 preference pairs, from the SFT model");
            Job dpoJob = run(training, dpo, run.resolve("specs/dpo-lora.json"));
            if (dpoJob.status() != JobStatus.SUCCEEDED) {
                return fail(dpoJob);
            }
            TrlTools.Scores afterDpo = tools.evaluate(merged, Path.of(dpoJob.output()), test, testPrefs, null,
                    run.resolve("work"), line -> { });
            Map<String, Object> last = lastProgress(training, dpoJob.id());

            detail("after DPO: " + scores(afterDpo));
            step(6, "Results on the 40 held-out words (never seen in training)");
            out.printf(Locale.ROOT, "      %-12s %8s %13s %21s%n", "", "loss", "exact match", "prefers the right one");
            row("before", before);
            row("after SFT", afterSft);
            row("after DPO", afterDpo);
            if (last.get("rewards_margins") != null) {
                out.printf(Locale.ROOT, "      DPO at its last step: loss %.3f (ln 2 = 0.693), reward margin %.3f%n",
                        ((Number) last.get("loss")).doubleValue(), ((Number) last.get("rewards_margins")).doubleValue());
            }
            for (Map<String, String> s : afterDpo.samples().subList(0, Math.min(3, afterDpo.samples().size()))) {
                out.printf(Locale.ROOT, "      \"%s\" -> \"%s\"%n", s.get("prompt"), s.get("got"));
            }
            out.println();
            out.println("  SFT adapter: " + sftJob.output());
            out.println("  DPO adapter: " + dpoJob.output() + " (on " + merged + ")");
            out.println("  Logs:        " + training.home().resolve("jobs").resolve(dpoJob.id()).resolve("logs"));
            out.println("  Specs:       " + run.resolve("specs") + " (run again: ./training submit <spec> --home "
                    + home + ")");
            out.println("  Jobs:        ./training jobs --home " + home + "   ./training status " + dpoJob.id()
                    + " --home " + home);
            List<Checkpoint> registered = new ArrayList<>();
            for (Job j : List.of(sftJob, dpoJob)) {
                registered.addAll(training.checkpoints().list(CheckpointQuery.builder().jobId(j.id()).build()).items());
            }
            out.println();
            out.println("  Registered checkpoints (drafts; files in " + training.blobLocation() + "):");
            for (Checkpoint c : registered) {
                out.printf(Locale.ROOT, "      %s  %-9s step %-4d %-10s %s%n", c.id(), c.method(), c.step(),
                        c.last() ? "final" : "checkpoint", Bytes.human(c.size()));
            }
            registered.stream().filter(c -> c.last() && c.jobId().equals(dpoJob.id())).findFirst().ifPresent(c -> {
                out.println("  Score the DPO adapter:    ./training eval " + c.id() + " --data " + testPrefs
                        + " --home " + home);
                out.println("  Approve the DPO adapter:  ./training checkpoints approve " + c.id()
                        + " --reason \"100% preference accuracy on the held-out words\" --home " + home);
                out.println("  Export it for serving:    ./training checkpoints export " + c.id() + " --merged --to "
                        + run.resolve("served") + " --home " + home);
            });
            out.printf(Locale.ROOT, "Done in %s.%n", Render.duration(Duration.ofNanos(System.nanoTime() - started)));
            boolean learned = afterSft.exactMatch() > before.exactMatch() && afterSft.loss() < before.loss() * 0.7;
            if (!learned) {
                out.println("The model did not learn as expected; see the logs above.");
            }
            out.flush();
            return learned ? ExitCodes.OK : ExitCodes.FAILED;
        }
    }

    /** The training.* system properties, for the runners the demo makes itself. */
    private static Map<String, String> properties() {
        Map<String, String> properties = new LinkedHashMap<>();
        System.getProperties().forEach((k, v) -> {
            if (String.valueOf(k).startsWith("training.")) {
                properties.put(String.valueOf(k), String.valueOf(v));
            }
        });
        return properties;
    }

    /** The held-out NDCG@10 gain the embedding demo must show to count as learnt. */
    static final double EMBEDDING_GAIN = 0.3;

    private int embedding(Path root, Path run) throws IOException, InterruptedException {
        steps = 5;
        out.println("Training SDK quickstart, embeddings: teach a tiny encoder which made-up query words go with which "
                + "document words,");
        out.println("so it finds held-out queries' documents among 300. Everything runs here, on the CPU: no download, "
                + "no GPU. Files: " + run);
        SentenceTransformersRunner st = new SentenceTransformersRunner(new PluginConfig(root, properties()));
        EncoderTools tools = new EncoderTools(st);

        step(1, "Python environment for runner '" + SentenceTransformersRunner.NAME + "'");
        PythonEnvironment env = st.python().environment(line -> detail(line));
        detail(env.toString() + ": " + env.knownProbe().map(p -> "Python " + p.python() + ", torch "
                + p.version("torch").orElse("?") + ", sentence-transformers "
                + p.version("sentence-transformers").orElse("?")).orElse("ready"));

        step(2, "A tiny encoder and a retrieval task, made here");
        Path model = run.resolve("models/tiny-bert");
        EncoderTools.Task task = tools.tinyEncoder(model, run.resolve("data"), EncoderTools.Words.DOCUMENT, 64,
                run.resolve("work"), line -> { });
        detail("random-initialised BERT (2 layers, hidden 64) with a word-level tokenizer: " + model);
        detail("480 training pairs " + task.pairs() + "; 60 held-out queries over 300 documents " + task.retrieval());

        step(3, "Before training, on the 60 held-out queries");
        Map<String, Double> before = tools.score(model, false, task.retrieval(), run.resolve("work"), line -> { });
        detail(retrieval(before));

        try (Training training = Training.builder().home(root).runner(st).property(Training.RUNNER_PROPERTY, "")
                .pollInterval(Duration.ofMillis(100)).build()) {
            // The adapter also trains the word embeddings: in a random model the words are all there is to adapt.
            LoraConfig lora = LoraConfig.builder().rank(16).alpha(32).dropout(0.0)
                    .targetModules(List.of("query", "key", "value", "dense", "word_embeddings")).build();
            JobSpec spec = JobSpec.builder().name("quickstart-embedding").tenant("quickstart").tier(Tier.PRO)
                    .baseModel(model.toString()).method(TrainingMethod.embeddingLora().withLora(lora))
                    .hyperparameters(Hyperparameters.builder().epochs(embeddingEpochs).learningRate(3e-3)
                            .microBatchSize(32).maxSeqLength(32).warmupRatio(0.05).gradientCheckpointing(false)
                            .build())
                    .trainingData(DatasetRef.of(task.pairs(), DatasetFormat.PAIRS))
                    .retrievalData(RetrievalData.folder(task.retrieval()))
                    .checkpoints(CheckpointPolicy.perEpoch(1)).resources(Resources.cpu()).build();
            step(4, "Embedding LoRA through the SDK: " + embeddingEpochs + " epochs of in-batch negatives on 480 pairs");
            Job job = run(training, spec, run.resolve("specs/embedding-lora.json"));
            if (job.status() != JobStatus.SUCCEEDED) {
                return fail(job);
            }
            Map<String, Double> after = tools.score(Path.of(job.output()), false, task.retrieval(), run.resolve("work"),
                    line -> { });

            step(5, "Results on the 60 held-out queries (never seen in training)");
            out.printf(Locale.ROOT, "      %-14s %8s %10s %8s%n", "", "NDCG@10", "recall@10", "MRR@10");
            retrievalRow("before", before);
            retrievalRow("after LoRA", after);
            Map<String, Double> reported = job.progress().evalMetrics();
            out.printf(Locale.ROOT, "      the job reported %.4f -> %.4f; the adapter, loaded back with "
                    + "sentence-transformers, scores %.4f%n", reported.getOrDefault("base_eval_ndcg_at_10", Double.NaN),
                    reported.getOrDefault("eval_ndcg_at_10", Double.NaN), after.get("ndcg_at_10"));
            out.println();
            out.println("  Adapter:     " + job.output() + " (a sentence-transformers folder; it loads its base)");
            out.println("  Spec:        " + run.resolve("specs/embedding-lora.json"));
            out.println("  Job:         ./training status " + job.id() + " --home " + home);
            training.checkpoints().list(CheckpointQuery.builder().jobId(job.id()).build()).items().stream()
                    .filter(Checkpoint::last).findFirst().ifPresent(c -> out.println("  Approve it:  ./training "
                            + "checkpoints approve " + c.id() + " --reason \"held-out NDCG@10 up\" --home " + home));
            out.printf(Locale.ROOT, "Done in %s.%n", Render.duration(Duration.ofNanos(System.nanoTime() - started)));
            boolean learned = after.get("ndcg_at_10") > before.get("ndcg_at_10") + EMBEDDING_GAIN;
            if (!learned) {
                out.println("The model did not learn as expected; see the logs above.");
            }
            out.flush();
            return learned ? ExitCodes.OK : ExitCodes.FAILED;
        }
    }

    private void retrievalRow(String label, Map<String, Double> m) {
        out.printf(Locale.ROOT, "      %-14s %8.3f %10.3f %8.3f%n", label, m.get("ndcg_at_10"), m.get("recall_at_10"),
                m.get("mrr_at_10"));
    }

    private static String retrieval(Map<String, Double> m) {
        return String.format(Locale.ROOT, "NDCG@10 %.3f, recall@10 %.3f, MRR@10 %.3f (the base model ranks at random)",
                m.get("ndcg_at_10"), m.get("recall_at_10"), m.get("mrr_at_10"));
    }

    private Job run(Training training, JobSpec spec, Path file) throws IOException, InterruptedException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, JobSpecJson.write(spec));
        Job job = training.jobs().submit(spec, CheckpointsCommand.defaultActor());
        detail("job " + job.id() + " (spec " + file + ")");
        Object why = training.jobs().events(job.id(), 0, 1).items().get(0).data().get("runner_reason");
        detail("runner " + job.runner() + (why == null ? "" : ": " + why));
        Job done = new Follow(training.jobs(), out, false, System.console() != null).indent("      ")
                .until(job.id(), 0);
        detail(done.status().wireName() + " after " + Render.duration(Duration.between(done.startedAt() == null
                ? done.createdAt() : done.startedAt(), done.finishedAt())) + "; output " + done.output());
        return done;
    }

    private static Map<String, Object> lastProgress(Training training, String id) {
        Map<String, Object> last = Map.of();
        long after = 0;
        while (true) {
            var page = training.jobs().events(id, after, 1000);
            for (JobEvent e : page.items()) {
                if (e.type().equals(JobEvent.TYPE_PROGRESS)) {
                    last = e.data();
                }
                after = e.seq();
            }
            if (page.nextCursor() == null) {
                return last;
            }
        }
    }

    private int fail(Job job) {
        out.println();
        Render.job(out, job);
        out.println("The quickstart stopped because job " + job.id() + " " + job.status().wireName() + ".");
        out.flush();
        return ExitCodes.FAILED;
    }

    private void step(int n, String what) {
        out.printf(Locale.ROOT, "%n[%d/%d] %s  (%s)%n", n, steps, what,
                Render.duration(Duration.ofNanos(System.nanoTime() - started)));
        out.flush();
    }

    private void detail(String line) {
        out.println("      " + line);
        out.flush();
    }

    private void row(String label, TrlTools.Scores s) {
        out.printf(Locale.ROOT, "      %-12s %8.3f %10d/%d %12.0f%% (margin %+.2f)%n", label, s.loss(), s.exactMatch(),
                s.total(), 100 * s.preferenceAccuracy(), s.preferenceMargin());
    }

    private static String scores(TrlTools.Scores s) {
        return String.format(Locale.ROOT, "loss %.3f, exact match %d/%d, prefers the right answer in %.0f%% of pairs",
                s.loss(), s.exactMatch(), s.total(), 100 * s.preferenceAccuracy());
    }
}
