package dev.koder.training.trl;

import dev.koder.training.spi.PluginConfig;
import dev.koder.training.spi.TrainingRunner;
import dev.koder.training.spi.TrainingRunnerProvider;

/** Finds {@link TrlRunner}; priority 10, so it is the default runner when others are installed beside it. */
public final class TrlRunnerProvider implements TrainingRunnerProvider {

    @Override
    public String name() {
        return TrlRunner.NAME;
    }

    @Override
    public int priority() {
        return 10;
    }

    @Override
    public TrainingRunner create(PluginConfig config) {
        return new TrlRunner(config);
    }
}
