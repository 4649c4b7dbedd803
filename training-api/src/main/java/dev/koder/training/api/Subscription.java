package dev.koder.training.api;

/** A registration that can be undone, for example a {@link JobListener}. */
public interface Subscription extends AutoCloseable {

    /** Undoes the registration; calling it again does nothing. */
    @Override
    void close();
}
