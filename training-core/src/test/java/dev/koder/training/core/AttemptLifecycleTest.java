package dev.koder.training.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.koder.training.api.FailureCause;
import dev.koder.training.api.JobStatus;
import dev.koder.training.core.AttemptEnd.Facts;
import dev.koder.training.core.AttemptEnd.Outcome;
import dev.koder.training.core.AttemptEnd.StopReason;
import dev.koder.training.spi.AttemptPhase;
import dev.koder.training.spi.ExitStatus;
import dev.koder.training.spi.JobRecord;
import dev.koder.training.spi.JobUpdate;
import dev.koder.training.tck.Samples;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The attempt's state machine as the store applies it, and the pure decision of how an attempt ended. */
class AttemptLifecycleTest {

    static final Instant NOW = Instant.parse("2026-12-02T10:00:00Z");

    @Nested
    class Phases {
        @Test
        void everyTransition_isAllowedOrRefused_asTheLifecycleSays() {
            Set<String> allowed = Set.of("planned>launching", "planned>finishing", "launching>running",
                    "launching>finishing", "running>finishing", "ended>planned");
            for (AttemptPhase from : AttemptPhase.values()) {
                for (AttemptPhase to : AttemptPhase.values()) {
                    boolean expected = to == from || to == AttemptPhase.ENDED
                            || allowed.contains(from.wireName() + ">" + to.wireName());
                    assertThat(from.canBecome(to)).as(from + " -> " + to).isEqualTo(expected);
                }
            }
        }

        @Test
        void theStoreWalksAnAttemptThroughItsPhases_andAnyMoveOffRunningEndsIt() {
            JobRecord queued = Samples.queued("j1", "acme", NOW);
            assertThat(queued.phase()).isNull();
            JobRecord claimed = JobUpdate.to(JobStatus.RUNNING).build().apply(queued, NOW);
            assertThat(claimed.phase()).isEqualTo(AttemptPhase.PLANNED);
            assertThat(claimed.launchToken()).isNull();
            JobRecord launching = JobUpdate.builder().attempt(1).phase(AttemptPhase.LAUNCHING)
                    .execution("local", null).launch("j1-1-abc", NOW).build().apply(claimed, NOW);
            assertThat(launching.launchToken()).isEqualTo("j1-1-abc");
            assertThat(launching.launchedAt()).isEqualTo(NOW);
            assertThat(launching.executor()).isEqualTo("local");
            assertThat(launching.executionRef()).isNull();
            JobRecord running = JobUpdate.builder().phase(AttemptPhase.RUNNING).execution("local", "local:1:2").build()
                    .apply(launching, NOW);
            assertThat(running.launchToken()).as("kept while it runs").isEqualTo("j1-1-abc");
            JobRecord finishing = JobUpdate.builder().phase(AttemptPhase.FINISHING).build().apply(running, NOW);
            assertThat(finishing.phase()).isEqualTo(AttemptPhase.FINISHING);
            assertThatThrownBy(() -> JobUpdate.builder().phase(AttemptPhase.LAUNCHING).build().apply(finishing, NOW))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("from finishing to launching");
            JobRecord ended = JobUpdate.to(JobStatus.QUEUED).clearExecution().build().apply(finishing, NOW);
            assertThat(ended.phase()).isEqualTo(AttemptPhase.ENDED);
            assertThat(ended.launchToken()).isNull();
            assertThat(ended.launchedAt()).isNull();
            JobRecord again = JobUpdate.to(JobStatus.RUNNING).build().apply(ended, NOW);
            assertThat(again.phase()).as("the next attempt").isEqualTo(AttemptPhase.PLANNED);
        }
    }

    @Nested
    class Decisions {
        Facts facts(boolean completed, ExitStatus exit, StopReason stop) {
            return new Facts(completed, exit, false, stop, false, false, false, false);
        }

        @Test
        void eachOutcome_fromItsFacts() {
            ExitStatus ok = new ExitStatus(0);
            ExitStatus stopped = new ExitStatus(143);
            assertThat(AttemptEnd.decide(facts(true, ok, null))).isEqualTo(Outcome.SUCCEEDED);
            assertThat(AttemptEnd.decide(facts(true, stopped, StopReason.TIMEOUT))).as("finished as it was stopped")
                    .isEqualTo(Outcome.SUCCEEDED);
            assertThat(AttemptEnd.decide(facts(true, ExitStatus.UNKNOWN, null))).as("ended while away")
                    .isEqualTo(Outcome.SUCCEEDED);
            assertThat(AttemptEnd.decide(new Facts(false, stopped, false, StopReason.CANCEL, true, false, false,
                    false))).isEqualTo(Outcome.CANCELLED);
            assertThat(AttemptEnd.decide(new Facts(false, stopped, false, StopReason.PAUSE, false, true, false,
                    false))).isEqualTo(Outcome.PAUSED);
            assertThat(AttemptEnd.decide(facts(false, stopped, StopReason.QUOTA))).isEqualTo(Outcome.OVER_QUOTA);
            assertThat(AttemptEnd.decide(facts(false, stopped, StopReason.PREEMPT))).isEqualTo(Outcome.PREEMPTED);
            assertThat(AttemptEnd.decide(facts(false, stopped, StopReason.TIMEOUT))).isEqualTo(Outcome.TIMED_OUT);
            assertThat(AttemptEnd.decide(facts(false, stopped, StopReason.SHUTDOWN))).isEqualTo(Outcome.LOST);
            assertThat(AttemptEnd.decide(new Facts(false, ExitStatus.UNKNOWN, false, null, false, false, true, true)))
                    .isEqualTo(Outcome.NOT_STARTED);
            assertThat(AttemptEnd.decide(new Facts(false, ExitStatus.UNKNOWN, false, null, true, false, true, true)))
                    .as("a cancel wins over starting it").isEqualTo(Outcome.CANCELLED);
            assertThat(AttemptEnd.decide(new Facts(false, ExitStatus.UNKNOWN, false, null, false, false, true,
                    false))).isEqualTo(Outcome.LOST);
            assertThat(AttemptEnd.decide(facts(false, ExitStatus.ended(null, "slurm:NODE_FAIL", "node lost"), null)))
                    .isEqualTo(Outcome.HOST_GONE);
            assertThat(AttemptEnd.decide(facts(false, new ExitStatus(137), null))).isEqualTo(Outcome.FAILED);
            assertThat(AttemptEnd.decide(new Facts(false, ExitStatus.UNKNOWN, true, null, false, false, true, false)))
                    .as("the trainer reported an error before the service lost it").isEqualTo(Outcome.FAILED);
        }

        @Test
        void aCancelWinsOverEveryStopButASuccess_andAPauseOverTheServicesOwnStops() {
            for (StopReason stop : EnumSet.allOf(StopReason.class)) {
                assertThat(AttemptEnd.decide(new Facts(false, new ExitStatus(143), false, stop, true, true, false,
                        false))).as(stop.name()).isEqualTo(Outcome.CANCELLED);
                assertThat(AttemptEnd.decide(new Facts(false, new ExitStatus(143), false, stop, false, true, false,
                        false))).as(stop.name()).isEqualTo(Outcome.PAUSED);
            }
            assertThat(FailureClassifier.executorCause(new ExitStatus(143))).isNull();
            assertThat(FailureClassifier.executorCause(ExitStatus.ended(1, "slurm:TIMEOUT", "t")))
                    .isEqualTo(FailureCause.TIMEOUT);
        }
    }
}
