package dev.koder.training.spi;

/** Creates a {@link JobScheduler}; listed in {@code META-INF/services/dev.koder.training.spi.JobSchedulerProvider}. */
public interface JobSchedulerProvider extends Provider<JobScheduler> {
}
