package dev.koder.training.scheduler;

import dev.koder.training.spi.JobScheduler;
import dev.koder.training.tck.JobSchedulerCompatibilityKit;

/** The tier scheduler passes the scheduler compatibility kit. */
class TierSchedulerKitTest extends JobSchedulerCompatibilityKit {

    @Override
    protected JobScheduler newScheduler() {
        return new TierScheduler(TierScheduler.Config.defaults());
    }
}
