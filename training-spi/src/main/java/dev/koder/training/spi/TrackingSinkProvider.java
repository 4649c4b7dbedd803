package dev.koder.training.spi;

/**
 * Creates a {@link TrackingSink}; listed in {@code META-INF/services/dev.koder.training.spi.TrackingSinkProvider}.
 * Every tracking sink found is used.
 */
public interface TrackingSinkProvider extends Provider<TrackingSink> {
}
