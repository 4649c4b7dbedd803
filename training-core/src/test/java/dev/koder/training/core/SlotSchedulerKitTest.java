package dev.koder.training.core;

import dev.koder.training.spi.JobScheduler;
import dev.koder.training.tck.JobSchedulerCompatibilityKit;

/** The built-in slot scheduler passes the scheduler compatibility kit (it places no GPUs, so not the GPU kit). */
class SlotSchedulerKitTest extends JobSchedulerCompatibilityKit {

    @Override
    protected JobScheduler newScheduler() {
        return new SlotScheduler();
    }
}
