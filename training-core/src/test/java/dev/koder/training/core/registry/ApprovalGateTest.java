package dev.koder.training.core.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.koder.training.api.ApprovalRefusedException;
import dev.koder.training.api.ApprovalVerdict;
import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.CheckpointPolicy;
import dev.koder.training.api.CheckpointStage;
import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobProgress;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.TrainingMethod;
import dev.koder.training.core.blob.FilesystemBlobStore;
import dev.koder.training.sqlite.SqliteCheckpoints;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The approval gate on the real registry: its policy's rules, the refusals, the admin override and its audit. */
class ApprovalGateTest {

    @TempDir
    Path dir;

    final Map<String, Job> jobs = new ConcurrentHashMap<>();
    CheckpointRegistry registry;
    Path data;
    int folders;

    @BeforeEach
    void open() throws IOException {
        registry = open(dir);
        data = dir.resolve("train.jsonl");
        Files.writeString(data, "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\","
                + "\"content\":\"HI\"}]}\n");
    }

    CheckpointRegistry open(Path at) throws IOException {
        return new CheckpointRegistry(SqliteCheckpoints.open(at.resolve("training.db")),
                new FilesystemBlobStore(at.resolve("blobs")), Clock.systemUTC(),
                id -> Optional.ofNullable(jobs.get(id)), Duration.ofMinutes(5));
    }

    @AfterEach
    void close() {
        registry.close();
    }

    Checkpoint draft(String tenant, String submitter, Map<String, Double> metrics) throws IOException {
        String id = "ftjob-" + (++folders);
        JobSpec spec = JobSpec.builder().name("j").tenant(tenant).baseModel("/models/base")
                .method(TrainingMethod.sftLora()).trainingData(DatasetRef.of(data, DatasetFormat.CHAT))
                .checkpoints(CheckpointPolicy.everySteps(10, 2)).build();
        Instant now = Instant.now();
        Job job = Job.builder().id(id).spec(spec).status(JobStatus.SUCCEEDED).runner("script").createdAt(now)
                .updatedAt(now).attempt(1).progress(JobProgress.NONE).submittedBy(submitter).build();
        jobs.put(id, job);
        Path folder = dir.resolve("out-" + folders);
        Files.createDirectories(folder);
        try (Stream<Path> files = Files.list(CheckpointRegistryTest.LORA)) {
            for (Path f : files.toList()) {
                Files.copy(f, folder.resolve(f.getFileName()));
            }
        }
        return registry.register(job, folder, 10, true, metrics, n -> { });
    }

    @Test
    void noPolicy_allowsEveryApproval_andRecordsNoGate() throws IOException {
        Checkpoint c = draft("acme", "alice", Map.of());
        assertThat(registry.gate(c.id(), "alice").allowed()).isTrue();
        assertThat(registry.gate(c.id(), "alice").rules()).isEmpty();
        registry.approve(c.id(), "alice", "ship it");
        assertThat(registry.history(c.id())).last().satisfies(t -> {
            assertThat(t.gate()).isNull();
            assertThat(t.override()).isFalse();
        });
    }

    @Test
    void aThresholdAndARequiredMetric_refuseWithTheRuleThatFailed_andMoveNothing() throws IOException {
        registry.approvalPolicy(ApprovalPolicy.of(Map.of("training.approval.require", "eval_loss",
                "training.approval.min.eval_mean_token_accuracy", "0.5")));
        Checkpoint weak = draft("acme", "alice", Map.of("eval_loss", 2.0, "eval_mean_token_accuracy", 0.31));
        assertThatThrownBy(() -> registry.approve(weak.id(), "bob", "looks fine"))
                .isInstanceOf(ApprovalRefusedException.class)
                .hasMessageContaining("min.eval_mean_token_accuracy: eval_mean_token_accuracy 0.31 < 0.5")
                .hasMessageNotContaining("require.eval_loss")
                .satisfies(e -> assertThat(((ApprovalRefusedException) e).verdict().rules())
                        .extracting(ApprovalVerdict.Rule::name, ApprovalVerdict.Rule::passed)
                        .containsExactly(org.assertj.core.groups.Tuple.tuple("min.eval_mean_token_accuracy", false),
                                org.assertj.core.groups.Tuple.tuple("require.eval_loss", true)));
        assertThat(registry.get(weak.id()).stage()).isEqualTo(CheckpointStage.DRAFT);
        assertThat(registry.history(weak.id())).hasSize(1);

        Checkpoint bare = draft("acme", "alice", Map.of("loss", 1.5));
        assertThat(registry.gate(bare.id(), "bob").failures()).contains("require.eval_loss: eval_loss is missing "
                + "(it has loss)").contains("min.eval_mean_token_accuracy: eval_mean_token_accuracy is missing");

        Checkpoint good = draft("acme", "alice", Map.of("eval_loss", 1.2, "eval_mean_token_accuracy", 0.5));
        assertThat(registry.approve(good.id(), "bob", "passes the gate").stage()).isEqualTo(CheckpointStage.APPROVED);
        assertThat(registry.history(good.id())).last().satisfies(t -> {
            assertThat(t.override()).isFalse();
            assertThat(t.gate()).extracting(ApprovalVerdict.Rule::passed).containsOnly(true);
        });
    }

    @Test
    void beatApproved_comparesWithTheTenantsApprovedCheckpoint_inTheMetricsDirection() throws IOException {
        registry.approvalPolicy(ApprovalPolicy.of(Map.of("training.approval.beat-approved.eval_loss", "0.05",
                "training.approval.beat-approved.eval_mean_token_accuracy", "0")));
        Checkpoint first = draft("acme", "alice", Map.of("eval_loss", 1.0, "eval_mean_token_accuracy", 0.6));
        ApprovalVerdict v = registry.gate(first.id(), "bob");
        assertThat(v.allowed()).isTrue();
        assertThat(v.rules()).extracting(ApprovalVerdict.Rule::detail)
                .allMatch(d -> d.contains("nothing to beat"));
        registry.approve(first.id(), "bob", "first");

        Checkpoint close = draft("acme", "alice", Map.of("eval_loss", 0.97, "eval_mean_token_accuracy", 0.61));
        assertThatThrownBy(() -> registry.approve(close.id(), "bob", "a little better"))
                .isInstanceOf(ApprovalRefusedException.class)
                .hasMessageContaining("beat-approved.eval_loss: eval_loss 0.97 does not beat the approved "
                        + first.id() + "'s 1 by 0.05 (needs <= 0.95; lower is better)")
                .hasMessageNotContaining("beat-approved.eval_mean_token_accuracy");
        Checkpoint worse = draft("acme", "alice", Map.of("eval_loss", 0.9, "eval_mean_token_accuracy", 0.5));
        assertThat(registry.gate(worse.id(), "bob").failures()).doesNotContain("eval_loss")
                .contains("eval_mean_token_accuracy 0.5 does not beat");
        Checkpoint better = draft("acme", "alice", Map.of("eval_loss", 0.9, "eval_mean_token_accuracy", 0.7));
        registry.approve(better.id(), "bob", "clearly better");

        Checkpoint otherTenant = draft("globex", "carol", Map.of("eval_loss", 5.0, "eval_mean_token_accuracy", 0.1));
        assertThat(registry.gate(otherTenant.id(), "dave").allowed()).as("another tenant's approvals do not count")
                .isTrue();
    }

    @Test
    void otherApprover_refusesTheSubmitter_andAJobWithoutOne() throws IOException {
        registry.approvalPolicy(ApprovalPolicy.of(Map.of("training.approval.other-approver", "true")));
        Checkpoint c = draft("acme", "alice", Map.of());
        assertThatThrownBy(() -> registry.approve(c.id(), "Alice ", "mine"))
                .isInstanceOf(ApprovalRefusedException.class)
                .hasMessageContaining("other-approver: alice submitted job " + c.jobId() + "; someone else must "
                        + "approve its checkpoint");
        assertThat(registry.approve(c.id(), "bob", "reviewed").stage()).isEqualTo(CheckpointStage.APPROVED);

        Checkpoint unknown = draft("acme", null, Map.of());
        assertThat(registry.gate(unknown.id(), "bob").failures()).contains("has no recorded submitter");
    }

    @Test
    void anAdminOverride_approvesARefusedCheckpoint_andTheAuditTrailKeepsItAcrossRestarts() throws IOException {
        registry.approvalPolicy(ApprovalPolicy.of(Map.of("training.approval.max.eval_loss", "1.5")));
        Checkpoint c = draft("acme", "alice", Map.of("eval_loss", 1.8));
        assertThatThrownBy(() -> registry.approveOverriding(c.id(), "root", " "))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("against the approval gate");
        assertThat(registry.get(c.id()).stage()).isEqualTo(CheckpointStage.DRAFT);

        registry.approveOverriding(c.id(), "root", "the eval set is known to be noisy; signed off by QA");
        registry.close();
        registry = open(dir);
        List<Checkpoint.Transition> history = registry.history(c.id());
        assertThat(history).hasSize(2);
        Checkpoint.Transition t = history.get(1);
        assertThat(t.to()).isEqualTo(CheckpointStage.APPROVED);
        assertThat(t.actor()).isEqualTo("root");
        assertThat(t.override()).isTrue();
        assertThat(t.reason()).isEqualTo("the eval set is known to be noisy; signed off by QA");
        assertThat(t.gate()).singleElement().satisfies(r -> {
            assertThat(r.name()).isEqualTo("max.eval_loss");
            assertThat(r.passed()).isFalse();
            assertThat(r.detail()).isEqualTo("eval_loss 1.8 > 1.5");
        });
        assertThat(registry.get(c.id()).stage()).isEqualTo(CheckpointStage.APPROVED);
    }

    @Test
    void aTenantsRules_replaceOrTurnOffTheHomes() throws IOException {
        ApprovalPolicy policy = ApprovalPolicy.of(Map.of("training.approval.max.eval_loss", "1.5",
                "training.approval.other-approver", "true",
                "training.approval.tenant.acme.corp.max.eval_loss", "3",
                "training.approval.tenant.acme.corp.other-approver", "off",
                "training.approval.tenant.globex.require", "eval_loss,eval_mean_token_accuracy"));
        assertThat(policy.rulesFor("acme.corp")).containsExactly(Map.entry("max.eval_loss", "3"));
        assertThat(policy.rulesFor("globex")).containsOnlyKeys("max.eval_loss", "other-approver", "require");
        assertThat(policy.rulesFor("initech")).containsOnlyKeys("max.eval_loss", "other-approver");
        registry.approvalPolicy(policy);
        Checkpoint c = draft("acme.corp", "alice", Map.of("eval_loss", 2.5));
        assertThat(registry.approve(c.id(), "alice", "within acme's own bar").stage())
                .isEqualTo(CheckpointStage.APPROVED);
    }

    @Test
    void aBadPolicy_isRefusedNamingTheKey() {
        assertThatThrownBy(() -> ApprovalPolicy.of(Map.of("training.approval.minimum.eval_loss", "1")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("training.approval.minimum.eval_loss is not an approval rule");
        assertThatThrownBy(() -> ApprovalPolicy.of(Map.of("training.approval.min.eval_loss", "low")))
                .hasMessage("training.approval.min.eval_loss must be a number, got 'low'");
        assertThatThrownBy(() -> ApprovalPolicy.of(Map.of("training.approval.beat-approved.eval_loss", "-1")))
                .hasMessageContaining("of 0 or more (the margin)");
        assertThatThrownBy(() -> ApprovalPolicy.of(Map.of("training.approval.other-approver", "yes")))
                .hasMessage("training.approval.other-approver must be true or false, got 'yes'");
        assertThatThrownBy(() -> ApprovalPolicy.of(Map.of("training.approval.tenant.acme.require", " , ")))
                .hasMessageContaining("must name one or more metrics");
        assertThatThrownBy(() -> ApprovalPolicy.of(Map.of("training.approval.tenant.acme", "x")))
                .hasMessageContaining("TENANT.RULE");
        assertThat(ApprovalPolicy.of(Map.of("training.retry.max", "1")).empty()).isTrue();
    }
}
