package dev.koder.training.spi;

/**
 * Told of every change to the checkpoint registry made in this process, after it is stored: registrations,
 * approvals, deprecations, exports and evaluations. Called on the thread that made the change, so it must return
 * quickly (append to an {@link Outbox}, for example); an exception is logged and changes nothing.
 *
 * <p>Found through {@link RegistryListenerProvider}, or passed to {@code Training.builder().registryListener(...)}.
 */
public interface RegistryListener extends AutoCloseable {

    /** @param event what happened */
    void onRegistryEvent(RegistryEvent event);

    /** Releases resources; the default does nothing. */
    @Override
    default void close() {
    }
}
