package dev.koder.training.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.koder.training.api.FailureCause;
import dev.koder.training.spi.ExitStatus;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The one table of failure causes, as the service reads it (the Python side: TrainingEventsModuleTest). */
class CauseTableTest {

    @Test
    void everyCauseHasARow_aDescriptionAndARetryRule() {
        CauseTable t = CauseTable.get();
        for (FailureCause c : FailureCause.values()) {
            assertThat(t.description(c)).as(c.wireName()).isNotBlank();
            assertThat(t.retry(c)).as(c.wireName()).isNotNull();
        }
        assertThat(t.causes(CauseTable.Retry.DEFAULT)).containsExactlyInAnyOrder(FailureCause.KILLED,
                FailureCause.LAUNCH_FAILED, FailureCause.DISTRIBUTED);
        assertThat(t.causes(CauseTable.Retry.NEVER)).contains(FailureCause.INVALID_DATASET, FailureCause.DATASET,
                FailureCause.CONFIG, FailureCause.NAN_LOSS, FailureCause.TIMEOUT, FailureCause.QUOTA_EXCEEDED);
        assertThat(t.exitCodes()).containsEntry("error", 1).containsEntry("stopped", 143);
    }

    @Test
    void trainerKinds_becomeTheirCauses_andAnUnknownKindIsUnknown() {
        assertThat(FailureClassifier.fromKind("out_of_memory")).isEqualTo(FailureCause.OUT_OF_MEMORY);
        assertThat(FailureClassifier.fromKind("dependency")).isEqualTo(FailureCause.MISSING_DEPENDENCY);
        assertThat(FailureClassifier.fromKind("nan")).isEqualTo(FailureCause.NAN_LOSS);
        assertThat(FailureClassifier.fromKind("peer_lost")).as("when the runner names no rank that failed first")
                .isEqualTo(FailureCause.DISTRIBUTED);
        assertThat(FailureClassifier.fromKind("made_up")).isEqualTo(FailureCause.UNKNOWN);
        assertThat(CauseTable.get().kinds()).contains("dataset", "config", "cuda", "unknown", "peer_lost");
    }

    @Test
    void executorStates_becomeTheirCauses_throughTheClassifierOnly() {
        assertThat(FailureClassifier.executorCause(ExitStatus.ended(null, "slurm:NODE_FAIL", "lost its node")))
                .isEqualTo(FailureCause.HOST_RESTART);
        assertThat(FailureClassifier.executorCause(ExitStatus.ended(143, "slurm:TIMEOUT", "time limit")))
                .isEqualTo(FailureCause.TIMEOUT);
        assertThat(FailureClassifier.executorCause(ExitStatus.ended(97, "slurm:NO_SHARED_HOME", "no folder")))
                .isEqualTo(FailureCause.LAUNCH_FAILED);
        assertThat(FailureClassifier.executorCause(ExitStatus.ended(1, "k8s:Evicted", "?")))
                .as("a state the table does not know").isEqualTo(FailureCause.UNKNOWN);
        assertThat(FailureClassifier.executorCause(new ExitStatus(1))).as("a plain exit").isNull();
        assertThat(CauseTable.get().states()).contains("slurm:OUT_OF_MEMORY", "slurm:PREEMPTED", "slurm:CANCELLED");
        assertThat(FailureClassifier.fromKind("distributed")).isEqualTo(FailureCause.DISTRIBUTED);
    }

    @Test
    void theRetryPolicy_takesItsDefaultsFromTheTable_andRefusesCausesItSaysNever() {
        assertThat(RetryPolicy.DEFAULT.transientCauses()).isEqualTo(CauseTable.get().causes(CauseTable.Retry.DEFAULT));
        assertThat(new RetryPolicy(1, Duration.ZERO, Set.of(FailureCause.CUDA)).transientCauses())
                .containsExactly(FailureCause.CUDA);
        assertThatThrownBy(() -> new RetryPolicy(1, Duration.ZERO, EnumSet.of(FailureCause.NAN_LOSS)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nan_loss cannot be retried");
    }
}
