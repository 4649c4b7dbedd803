package dev.koder.training.core.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.koder.training.api.ApprovalRefusedException;
import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.CheckpointPolicy;
import dev.koder.training.api.CheckpointStage;
import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.Evaluation;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobProgress;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.PluginNotFoundException;
import dev.koder.training.api.TrainingMethod;
import dev.koder.training.core.blob.Digests;
import dev.koder.training.core.blob.FilesystemBlobStore;
import dev.koder.training.spi.CheckpointEvaluator;
import dev.koder.training.sqlite.SqliteCheckpoints;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Evaluations on demand in the real registry, with an evaluator that stands in for the Python one (the real one runs
 * in runner-trl's EvaluationOnDemandTest): what is checked before scoring, what is kept, and what the gate reads.
 */
class EvaluationTest {

    static final String CHAT = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\","
            + "\"content\":\"HI\"}]}\n";

    @TempDir
    Path dir;

    final Map<String, Job> jobs = new ConcurrentHashMap<>();
    final List<CheckpointEvaluator.Request> asked = new ArrayList<>();
    final List<Evaluation> told = new ArrayList<>();
    CheckpointRegistry registry;
    Path data;
    int folders;
    double loss = 1.0;

    @BeforeEach
    void open() throws IOException {
        registry = new CheckpointRegistry(SqliteCheckpoints.open(dir.resolve("training.db")),
                new FilesystemBlobStore(dir.resolve("blobs")), Clock.systemUTC(),
                id -> Optional.ofNullable(jobs.get(id)), Duration.ofMinutes(5));
        registry.evaluators(runner -> List.of(new CheckpointEvaluator() {
            @Override
            public boolean supports(DatasetFormat format) {
                return DatasetFormat.languageModelFormats().contains(format);
            }

            @Override
            public Result evaluate(Request request, Path work, java.util.function.Consumer<String> lines) {
                asked.add(request);
                assertThat(request.checkpoint().resolve("adapter_config.json")).exists();
                lines.accept("scored");
                return new Result(Map.of("eval_loss", loss, "eval_mean_token_accuracy", 0.5),
                        Map.of("eval_loss", 3.0, "eval_mean_token_accuracy", 0.1), 1, "cpu");
            }
        }), dir.resolve("scratch"));
        registry.onEvaluation((c, e) -> told.add(e));
        data = dir.resolve("held-out.jsonl");
        Files.writeString(data, CHAT);
    }

    @AfterEach
    void close() {
        registry.close();
    }

    Checkpoint draft(Map<String, Double> metrics) throws IOException {
        String id = "ftjob-" + (++folders);
        JobSpec spec = JobSpec.builder().name("j").tenant("acme").baseModel(CheckpointRegistryTest.LLAMA.toString())
                .method(TrainingMethod.dpo(0.25, dev.koder.training.api.DpoLoss.SIGMOID))
                .hyperparameters(dev.koder.training.api.Hyperparameters.builder().maxSeqLength(512).build())
                .trainingData(DatasetRef.of(data, DatasetFormat.PREFERENCE))
                .checkpoints(CheckpointPolicy.everySteps(10, 2)).build();
        Instant now = Instant.now();
        jobs.put(id, Job.builder().id(id).spec(spec).status(JobStatus.SUCCEEDED).runner("trl").createdAt(now)
                .updatedAt(now).attempt(1).progress(JobProgress.NONE).submittedBy("alice").build());
        Path folder = dir.resolve("out-" + folders);
        Files.createDirectories(folder);
        try (Stream<Path> files = Files.list(CheckpointRegistryTest.LORA)) {
            for (Path f : files.toList()) {
                Files.copy(f, folder.resolve(f.getFileName()));
            }
        }
        return registry.register(jobs.get(id), folder, 10, true, metrics, n -> { });
    }

    @Test
    void anEvaluation_isKeptWithTheDataHash_andTheJobsLengthAndBeta() throws IOException {
        Checkpoint c = draft(Map.of("loss", 0.7));
        List<String> lines = new ArrayList<>();
        Evaluation e = registry.evaluate(c.id(), DatasetRef.of(data, DatasetFormat.CHAT), "bob", lines::add);
        assertThat(e.id()).startsWith("eval-");
        assertThat(e.dataSha256()).isEqualTo(Digests.sha256(data));
        assertThat(e.metrics()).containsEntry("eval_loss", 1.0);
        assertThat(e.baseMetrics()).containsEntry("eval_loss", 3.0);
        assertThat(e.actor()).isEqualTo("bob");
        assertThat(lines).contains("scored").anySatisfy(l -> assertThat(l).contains("on 1 examples of " + data));
        assertThat(asked).singleElement().satisfies(r -> {
            assertThat(r.maxSeqLength()).isEqualTo(512);
            assertThat(r.beta()).isEqualTo(0.25);
            assertThat(r.format()).isEqualTo(DatasetFormat.CHAT);
        });
        assertThat(registry.evaluations(c.id())).containsExactly(e);
        assertThat(told).containsExactly(e);
        try (Stream<Path> left = Files.list(dir.resolve("scratch"))) {
            assertThat(left).as("the scratch copy is gone").isEmpty();
        }
    }

    @Test
    void badData_unknownFormats_andNoActor_areRefusedBeforeAnythingIsScored() throws IOException {
        Checkpoint c = draft(Map.of());
        Path bad = Files.writeString(dir.resolve("bad.jsonl"), "{\"messages\":[]}\nnot json\n");
        assertThatThrownBy(() -> registry.evaluate(c.id(), DatasetRef.of(bad, DatasetFormat.CHAT), "bob", l -> { }))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is not valid chat data (2 errors)")
                .hasMessageContaining("bad.jsonl:2");
        assertThatThrownBy(() -> registry.evaluate(c.id(), DatasetRef.of(dir.resolve("none.jsonl"),
                DatasetFormat.CHAT), "bob", l -> { })).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not a file");
        Path pairs = Files.writeString(dir.resolve("pairs.jsonl"), "{\"anchor\":\"a\",\"positive\":\"b\"}\n");
        assertThatThrownBy(() -> registry.evaluate(c.id(), DatasetRef.of(pairs, DatasetFormat.PAIRS), "bob", l -> { }))
                .isInstanceOf(PluginNotFoundException.class).hasMessageContaining("scores pairs data on demand; add dev.koder.training:runner-sentence-transformers");
        assertThatThrownBy(() -> registry.evaluate(c.id(), DatasetRef.of(data, DatasetFormat.CHAT), " ", l -> { }))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("an actor is required");
        assertThat(asked).isEmpty();
        assertThat(registry.evaluations(c.id())).isEmpty();
    }

    @Test
    void theGate_readsTheNewestEvaluation_andComparesWithTheApprovedOnTheSameData() throws IOException {
        registry.approvalPolicy(ApprovalPolicy.of(Map.of("training.approval.max.eval_loss", "1.5",
                "training.approval.beat-approved.eval_loss", "0.1")));
        Checkpoint first = draft(Map.of("eval_loss", 2.0));
        assertThatThrownBy(() -> registry.approve(first.id(), "bob", "ok")).isInstanceOf(ApprovalRefusedException.class)
                .hasMessageContaining("eval_loss 2");
        loss = 1.2;
        registry.evaluate(first.id(), DatasetRef.of(data, DatasetFormat.CHAT), "bob", l -> { });
        assertThat(registry.approve(first.id(), "bob", "the held-out loss is fine").stage())
                .isEqualTo(CheckpointStage.APPROVED);

        // the second's job figures look better, but on the same held-out data it is worse than the approved one
        Checkpoint second = draft(Map.of("eval_loss", 0.5));
        loss = 1.25;
        registry.evaluate(second.id(), DatasetRef.of(data, DatasetFormat.CHAT), "bob", l -> { });
        assertThat(registry.gate(second.id(), "bob").failed()).singleElement().satisfies(f -> assertThat(f.name() + ": " + f.detail())
                .startsWith("beat-approved.eval_loss").contains(first.id()).contains("1.2"));

        // on other data there is nothing to compare it with but the approved one's own figures
        Path other = Files.writeString(dir.resolve("other.jsonl"), CHAT + CHAT);
        loss = 1.0;
        registry.evaluate(second.id(), DatasetRef.of(other, DatasetFormat.CHAT), "bob", l -> { });
        assertThat(registry.gate(second.id(), "bob").rules()).filteredOn(r -> r.name().startsWith("beat-approved"))
                .singleElement().satisfies(r -> {
                    assertThat(r.passed()).isTrue();
                    assertThat(r.detail()).contains("2");
                });
    }
}
