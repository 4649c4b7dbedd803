package dev.koder.training.spi;

/**
 * Creates the {@link WorkerLease} of a service instance; listed in
 * {@code META-INF/services/dev.koder.training.spi.WorkerLeaseProvider}. A store module that lets several instances
 * share one store provides a lease of the same name as its job store.
 */
public interface WorkerLeaseProvider extends Provider<WorkerLease> {
}
