package dev.koder.training.spi;

/** Creates a {@link TrainingRunner}; listed in {@code META-INF/services/dev.koder.training.spi.TrainingRunnerProvider}. */
public interface TrainingRunnerProvider extends Provider<TrainingRunner> {
}
