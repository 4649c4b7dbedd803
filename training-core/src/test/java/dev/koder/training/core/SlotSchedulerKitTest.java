package dev.koder.training.core;

import dev.koder.training.spi.JobScheduler;
import dev.koder.training.tck.JobSchedulerCompatibilityKit;

/** The built-in slot scheduler passes the scheduler compatibility kit (it places no GPUs). */
class SlotSchedulerKitTest extends JobSchedulerCompatibilityKit {

    @Override
    protected JobScheduler newScheduler() {
        return new SlotScheduler();
    }

    @Override
    protected boolean placesGpus() {
        return false;
    }
}
