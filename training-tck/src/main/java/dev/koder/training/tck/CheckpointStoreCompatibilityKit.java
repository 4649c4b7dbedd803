package dev.koder.training.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.koder.training.api.ApprovalVerdict;
import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.CheckpointExport;
import dev.koder.training.api.CheckpointNotFoundException;
import dev.koder.training.api.CheckpointQuery;
import dev.koder.training.api.CheckpointStage;
import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.Evaluation;
import dev.koder.training.api.IllegalCheckpointStateException;
import dev.koder.training.api.Page;
import dev.koder.training.spi.CheckpointStore;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * What every {@link CheckpointStore} must do: what one store object records another on the same place sees (as
 * another instance would), a registration once per folder and never over a collected blob, stage moves of which
 * exactly one of two racing wins, the audit trail in order with the gate's rules, pages, the newest approval,
 * evaluations and exports, retention and garbage collection. Extend it and implement {@link #openStore(Path)}.
 */
public abstract class CheckpointStoreCompatibilityKit extends StoreKit<CheckpointStore> {

    static final Instant T = Instant.parse("2026-12-01T10:00:00Z");
    static final String SHA_A = "a".repeat(64);
    static final String SHA_B = "b".repeat(64);

    static Checkpoint checkpoint(String id, String job, String tenant, long step, boolean last, int second,
            String... shas) {
        List<Checkpoint.File> files = new ArrayList<>();
        for (int i = 0; i < shas.length; i++) {
            files.add(new Checkpoint.File("adapter_model-" + i + ".safetensors", 1000 + i, shas[i]));
        }
        return Checkpoint.builder().id(id).jobId(job).tenant(tenant).baseModel("org/base").method("sft+lora")
                .step(step).last(last).metrics(Map.of("loss", 1.0 / (step + 1))).files(files)
                .createdAt(T.plusSeconds(second)).stage(CheckpointStage.APPROVED).build();
    }

    static Checkpoint register(CheckpointStore s, Checkpoint c) {
        return s.register(c, "/jobs/" + c.jobId() + "/output/checkpoint-" + c.step(), sha -> true, "training",
                "registered");
    }

    @Test
    void aRegistration_isADraftThatAnotherInstanceSees_onceByFolder_withItsRegistrationInTheHistory() {
        CheckpointStore a = store();
        Checkpoint c = checkpoint("ckpt-1", "ftjob-1", "acme", 10, false, 0, SHA_A, SHA_B);
        Checkpoint stored = register(a, c);
        assertThat(stored.stage()).as("a registration starts as a draft whatever it says").isEqualTo(
                CheckpointStage.DRAFT);
        CheckpointStore b = store();
        assertThat(b.find("ckpt-1")).hasValue(stored);
        assertThat(b.bySource("ftjob-1", "/jobs/ftjob-1/output/checkpoint-10")).hasValue(stored);
        Checkpoint again = register(b, checkpoint("ckpt-other", "ftjob-1", "acme", 10, false, 5, SHA_A));
        assertThat(again.id()).as("the same folder again").isEqualTo("ckpt-1");
        assertThat(a.find("ckpt-other")).isEmpty();
        assertThat(a.history("ckpt-1")).singleElement().satisfies(t -> {
            assertThat(t.from()).isNull();
            assertThat(t.to()).isEqualTo(CheckpointStage.DRAFT);
            assertThat(t.actor()).isEqualTo("training");
            assertThat(t.time()).isEqualTo(T);
        });
    }

    @Test
    void aRegistrationWhoseBlobIsGone_isRefused_andKeepsNothing() {
        CheckpointStore a = store();
        assertThatThrownBy(() -> a.register(checkpoint("ckpt-1", "ftjob-1", "acme", 1, false, 0, SHA_A, SHA_B),
                "/x", sha -> !sha.equals(SHA_B), "training", "r"))
                .isInstanceOf(CheckpointStore.BlobMissingException.class).hasMessageContaining(SHA_B);
        assertThat(a.find("ckpt-1")).isEmpty();
        assertThat(a.history("ckpt-1")).isEmpty();
        assertThat(a.collectGarbage(sha -> { })).as("no blob was recorded").isZero();
    }

    @Test
    void stageMoves_followTheLifecycle_andTheAuditTrailKeepsWhoWhenWhyAndTheGate() {
        CheckpointStore a = store();
        register(a, checkpoint("ckpt-1", "ftjob-1", "acme", 10, true, 0, SHA_A));
        List<ApprovalVerdict.Rule> gate = List.of(new ApprovalVerdict.Rule("eval_loss", false, "no evaluation"));
        Checkpoint approved = store().transition(new Checkpoint.Transition("ckpt-1", CheckpointStage.DRAFT,
                CheckpointStage.APPROVED, "ana", T.plusSeconds(60), "ship it", gate, true));
        assertThat(approved.stage()).isEqualTo(CheckpointStage.APPROVED);
        assertThat(a.find("ckpt-1").orElseThrow().stage()).isEqualTo(CheckpointStage.APPROVED);
        assertThatThrownBy(() -> a.transition(new Checkpoint.Transition("ckpt-1", CheckpointStage.APPROVED,
                CheckpointStage.DRAFT, "ana", T.plusSeconds(61), "back", null, false)))
                .isInstanceOf(IllegalCheckpointStateException.class);
        assertThatThrownBy(() -> a.transition(new Checkpoint.Transition("ckpt-1", CheckpointStage.DRAFT,
                CheckpointStage.DEPRECATED, "bo", T.plusSeconds(62), "stale view", null, false)))
                .as("a move from a stage it has left").isInstanceOf(IllegalCheckpointStateException.class);
        assertThatThrownBy(() -> a.transition(new Checkpoint.Transition("ckpt-none", CheckpointStage.DRAFT,
                CheckpointStage.APPROVED, "ana", T, "x", null, false))).isInstanceOf(CheckpointNotFoundException.class);
        a.transition(new Checkpoint.Transition("ckpt-1", CheckpointStage.APPROVED, CheckpointStage.DEPRECATED, "bo",
                T.plusSeconds(120), "superseded", null, false));
        List<Checkpoint.Transition> trail = store().history("ckpt-1");
        assertThat(trail).extracting(Checkpoint.Transition::to).containsExactly(CheckpointStage.DRAFT,
                CheckpointStage.APPROVED, CheckpointStage.DEPRECATED);
        assertThat(trail.get(1)).satisfies(t -> {
            assertThat(t.actor()).isEqualTo("ana");
            assertThat(t.reason()).isEqualTo("ship it");
            assertThat(t.time()).isEqualTo(T.plusSeconds(60));
            assertThat(t.gate()).isEqualTo(gate);
            assertThat(t.override()).isTrue();
        });
        assertThat(trail.get(2).gate()).isNull();
        assertThat(trail.get(2).override()).isFalse();
    }

    @Test
    void twoInstancesMovingOneCheckpointAtOnce_exactlyOneWins_andTheTrailHasOneMove() throws Exception {
        register(store(), checkpoint("ckpt-1", "ftjob-1", "acme", 10, true, 0, SHA_A));
        List<CheckpointStore> stores = List.of(store(), store());
        List<Boolean> won = race(8, i -> () -> {
            CheckpointStage to = i % 2 == 0 ? CheckpointStage.APPROVED : CheckpointStage.DEPRECATED;
            try {
                stores.get(i % 2).transition(new Checkpoint.Transition("ckpt-1", CheckpointStage.DRAFT, to,
                        "actor-" + i, T, "race", null, false));
                return true;
            } catch (IllegalCheckpointStateException lost) {
                return false;
            }
        });
        assertThat(won).filteredOn(w -> w).hasSize(1);
        assertThat(store().history("ckpt-1")).hasSize(2);
    }

    @Test
    void pages_newestFirst_byTenantModelStageAndJob_andTheNewestApproval() {
        CheckpointStore a = store();
        for (int i = 1; i <= 5; i++) {
            register(a, checkpoint("ckpt-" + i, "ftjob-" + (i <= 3 ? 1 : 2), "acme", i, false, i, SHA_A));
        }
        register(a, checkpoint("ckpt-9", "ftjob-9", "globex", 1, true, 9, SHA_A));
        CheckpointStore b = store();
        Page<Checkpoint> first = b.list(CheckpointQuery.builder().tenant("acme").limit(2).build());
        assertThat(first.items()).extracting(Checkpoint::id).containsExactly("ckpt-5", "ckpt-4");
        assertThat(first.nextCursor()).isEqualTo("ckpt-4");
        Page<Checkpoint> rest = b.list(CheckpointQuery.builder().tenant("acme").after(first.nextCursor()).limit(10)
                .build());
        assertThat(rest.items()).extracting(Checkpoint::id).containsExactly("ckpt-3", "ckpt-2", "ckpt-1");
        assertThat(rest.nextCursor()).isNull();
        assertThat(b.list(CheckpointQuery.builder().jobId("ftjob-2").limit(10).build()).items())
                .extracting(Checkpoint::id).containsExactly("ckpt-5", "ckpt-4");
        assertThat(b.approved("acme", "org/base")).isEmpty();
        for (String id : List.of("ckpt-2", "ckpt-4")) {
            a.transition(new Checkpoint.Transition(id, CheckpointStage.DRAFT, CheckpointStage.APPROVED, "ana",
                    T.plusSeconds(id.equals("ckpt-2") ? 200 : 100), "ok", null, false));
        }
        assertThat(b.approved("acme", "org/base")).as("the most recently approved, not the newest made")
                .hasValueSatisfying(c -> assertThat(c.id()).isEqualTo("ckpt-2"));
        assertThat(b.list(CheckpointQuery.builder().tenant("acme").stage(CheckpointStage.APPROVED).limit(10).build())
                .items()).extracting(Checkpoint::id).containsExactly("ckpt-4", "ckpt-2");
        assertThat(b.approved("globex", "org/base")).isEmpty();
        assertThat(b.list(CheckpointQuery.builder().baseModel("org/other").limit(10).build()).items()).isEmpty();
    }

    @Test
    void evaluationsAndExports_areKeptInOrder_andAnEvaluationNeedsItsCheckpoint() {
        CheckpointStore a = store();
        register(a, checkpoint("ckpt-1", "ftjob-1", "acme", 10, true, 0, SHA_A));
        Evaluation e1 = new Evaluation("eval-1", "ckpt-1", "file-1", SHA_B, DatasetFormat.CHAT, 20,
                Map.of("loss", 0.5), Map.of("loss", 0.9), "ana", T.plusSeconds(10), "cpu");
        Evaluation e2 = new Evaluation("eval-2", "ckpt-1", "file-2", SHA_B, DatasetFormat.CHAT, 30,
                Map.of("loss", 0.4), Map.of(), "bo", T.plusSeconds(20), "cpu");
        a.addEvaluation(e2);
        store().addEvaluation(e1);
        assertThat(store().evaluations("ckpt-1")).containsExactly(e1, e2);
        assertThatThrownBy(() -> a.addEvaluation(new Evaluation("eval-3", "ckpt-none", "f", SHA_B,
                DatasetFormat.CHAT, 1, Map.of(), Map.of(), "ana", T, "cpu")))
                .isInstanceOf(CheckpointNotFoundException.class);
        CheckpointExport x1 = new CheckpointExport("ckpt-1", "/srv/a", false, List.of(new Checkpoint.File(
                "adapter_model.safetensors", 10, SHA_A)), SHA_B, null, T.plusSeconds(30));
        CheckpointExport x2 = new CheckpointExport("ckpt-1", "/srv/b", true, List.of(), SHA_A, null,
                T.plusSeconds(40));
        a.addExport(x1);
        store().addExport(x2);
        assertThat(a.exports("ckpt-1")).containsExactly(x1, x2);
        assertThat(a.exports("ckpt-none")).isEmpty();
    }

    @Test
    void retention_dropsAJobsOldestIntermediates_neverAnApprovedOneOrTheLast_withTheirRecords() {
        CheckpointStore a = store();
        for (int step = 1; step <= 5; step++) {
            register(a, checkpoint("ckpt-" + step, "ftjob-1", "acme", step, false, step, SHA_A));
        }
        register(a, checkpoint("ckpt-final", "ftjob-1", "acme", 6, true, 6, SHA_B));
        a.transition(new Checkpoint.Transition("ckpt-1", CheckpointStage.DRAFT, CheckpointStage.APPROVED, "ana", T,
                "keep", null, false));
        a.addExport(new CheckpointExport("ckpt-2", "/srv/x", false, List.of(), SHA_A, null, T));
        List<CheckpointStore.Dropped> dropped = store().retain("ftjob-1", 2);
        assertThat(dropped).extracting(CheckpointStore.Dropped::id).containsExactlyInAnyOrder("ckpt-2", "ckpt-3");
        assertThat(dropped).extracting(CheckpointStore.Dropped::source).allMatch(s -> s.startsWith("/jobs/ftjob-1/"));
        for (String id : List.of("ckpt-2", "ckpt-3")) {
            assertThat(a.find(id)).isEmpty();
            assertThat(a.history(id)).isEmpty();
        }
        assertThat(a.exports("ckpt-2")).isEmpty();
        assertThat(a.list(CheckpointQuery.builder().jobId("ftjob-1").limit(10).build()).items())
                .extracting(Checkpoint::id).containsExactly("ckpt-final", "ckpt-5", "ckpt-4", "ckpt-1");
        assertThat(a.retain("ftjob-1", 2)).isEmpty();
    }

    @Test
    void garbageCollection_deletesOnlyBlobsNoCheckpointUses_once() {
        CheckpointStore a = store();
        register(a, checkpoint("ckpt-1", "ftjob-1", "acme", 1, false, 1, SHA_A));
        register(a, checkpoint("ckpt-2", "ftjob-1", "acme", 2, false, 2, SHA_A, SHA_B));
        register(a, checkpoint("ckpt-3", "ftjob-1", "acme", 3, false, 3, SHA_A));
        Set<String> deleted = ConcurrentHashMap.newKeySet();
        assertThat(store().collectGarbage(deleted::add)).isZero();
        a.retain("ftjob-1", 1); // drops ckpt-1 and ckpt-2: SHA_B has no user left, SHA_A has ckpt-3
        assertThat(store().collectGarbage(deleted::add)).isEqualTo(1);
        assertThat(deleted).containsExactly(SHA_B);
        assertThat(a.collectGarbage(deleted::add)).isZero();
    }
}
