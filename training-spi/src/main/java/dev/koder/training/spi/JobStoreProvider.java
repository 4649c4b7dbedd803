package dev.koder.training.spi;

/** Creates a {@link JobStore}; listed in {@code META-INF/services/dev.koder.training.spi.JobStoreProvider}. */
public interface JobStoreProvider extends Provider<JobStore> {
}
