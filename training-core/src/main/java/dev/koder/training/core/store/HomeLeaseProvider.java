package dev.koder.training.core.store;

import dev.koder.training.spi.PluginConfig;
import dev.koder.training.spi.WorkerLease;
import dev.koder.training.spi.WorkerLeaseProvider;

/** The default worker lease, with the embedded store: a lock file in the home ({@link HomeLease}). */
public final class HomeLeaseProvider implements WorkerLeaseProvider {

    @Override
    public String name() {
        return "home";
    }

    @Override
    public int priority() {
        return -100;
    }

    @Override
    public WorkerLease create(PluginConfig config) {
        return new HomeLease(config.home(), WorkerLease.instanceName());
    }
}
