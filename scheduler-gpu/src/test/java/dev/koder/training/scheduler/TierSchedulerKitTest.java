package dev.koder.training.scheduler;

import dev.koder.training.spi.JobScheduler;
import dev.koder.training.tck.GpuSchedulerCompatibilityKit;

/** The tier scheduler passes the scheduler compatibility kit. */
class TierSchedulerKitTest extends GpuSchedulerCompatibilityKit {

    @Override
    protected JobScheduler newScheduler() {
        return new TierScheduler(TierScheduler.Config.defaults());
    }
}
