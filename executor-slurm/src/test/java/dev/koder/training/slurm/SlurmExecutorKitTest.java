package dev.koder.training.slurm;

import dev.koder.training.spi.Executor;
import dev.koder.training.tck.ExecutorCompatibilityKit;

/** The Slurm executor passes the executor compatibility kit on a real single-host Slurm. */
class SlurmExecutorKitTest extends ExecutorCompatibilityKit {

    @Override
    protected Executor newExecutor() {
        SlurmCluster cluster = SlurmCluster.get();
        return SlurmExecutor.create(SlurmSettings.from(cluster.config(workdir)), workdir);
    }
}
