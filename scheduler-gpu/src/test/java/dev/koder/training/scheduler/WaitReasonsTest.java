package dev.koder.training.scheduler;

import static dev.koder.training.scheduler.TierSchedulerTest.T0;
import static dev.koder.training.scheduler.TierSchedulerTest.job;
import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.Tier;
import dev.koder.training.scheduler.Queues.Level;
import dev.koder.training.scheduler.WaitReasons.Kind;
import dev.koder.training.scheduler.WaitReasons.Wait;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The words a waiting job is given. */
class WaitReasonsTest {

    @Test
    void eachKindOfWait_hasItsSentence() {
        var gpuJob = job("j", "acme", Tier.PRO, 0, 2, "H100", 40, Duration.ofHours(1));
        assertThat(WaitReasons.describe(gpuJob, new Wait(Kind.GPUS, 3, Level.PRO, null, T0.plusSeconds(4 * 3600 + 1200)),
                0, 2, 1)).isEqualTo("needs 2 x H100 (40 GiB each), 1 free on one node; 3 jobs ahead in pro or higher "
                        + "tiers; expected to start by 14:20 UTC");
        assertThat(WaitReasons.describe(gpuJob, new Wait(Kind.HELD, 1, Level.ENTERPRISE, "ftjob-big", T0), 0, 2, 2))
                .isEqualTo("needs 2 x H100 (40 GiB each), 2 free on one node; 1 job ahead in enterprise; GPUs are held "
                        + "for job ftjob-big from 10:00 UTC");
        assertThat(WaitReasons.describe(job("c", "acme", Tier.FREE, 0, 0), new Wait(Kind.CPU_BUSY, 0, Level.FREE, null,
                null), 0, 1, 0)).isEqualTo("all 1 CPU slot is busy; 0 jobs ahead in free or higher tiers");
        assertThat(WaitReasons.describe(gpuJob, new Wait(Kind.TENANT_LIMIT, 0, Level.PRO, null, null), 3, 2, 0))
                .isEqualTo("tenant acme already runs 3 jobs, its limit");
        assertThat(WaitReasons.queued(Level.PROMOTED, 1)).isEqualTo("queued in the promoted queue behind 1 job");
        assertThat(WaitReasons.gpus(1)).isEqualTo("1 GPU");
        assertThat(WaitReasons.of(gpuJob)).isEqualTo(" of type H100");
    }
}
