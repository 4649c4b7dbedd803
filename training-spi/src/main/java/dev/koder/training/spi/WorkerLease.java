package dev.koder.training.spi;

import java.time.Duration;
import java.util.Optional;

/**
 * Which one of the service instances that share a job store runs its jobs: the instance that holds the lease places
 * jobs on the GPUs and supervises their trainers; the others submit, answer and watch, and take the lease over when
 * its holder stops renewing it. Each lease object stands for one instance (its holder name is its own).
 *
 * <p>A holder renews the lease well within {@link #timeout()}. One that cannot renew it (the database is unreachable,
 * or another took it over) must stop acting as the worker before the timeout has passed since its last renewal
 * began: another instance may take the lease over then and adopt its running jobs.
 *
 * <p>The compatibility kit {@code WorkerLeaseCompatibilityKit} in training-tck checks an implementation.
 */
public interface WorkerLease extends AutoCloseable {

    /** Property with the timeout of a lease that has one (a duration such as {@code PT30S}); see {@link #timeout()}. */
    String TIMEOUT_PROPERTY = "training.lease.timeout";

    /** The timeout of a lease that has one, when {@link #TIMEOUT_PROPERTY} does not say. */
    Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    /**
     * Takes the lease when nobody holds it or its holder let it lapse; renews it when this instance holds it.
     *
     * @return whether this instance holds the lease now
     * @throws dev.koder.training.api.StorageException when the lease's store cannot be reached
     */
    boolean tryAcquire();

    /**
     * Extends the lease by {@link #timeout()}.
     *
     * @return false when this instance does not hold it (any more): it must stop acting as the worker at once
     * @throws dev.koder.training.api.StorageException when the lease's store cannot be reached (whether it is still
     *     held is unknown then)
     */
    boolean renew();

    /**
     * @return how long after its last renewal a silent holder keeps the lease; {@link Duration#ZERO} when the lease
     *     ends the moment its holder's process does (a lock the operating system holds for it)
     */
    Duration timeout();

    /** @return this instance's name as a holder, for example {@code host:pid:5f2c} */
    String name();

    /**
     * @return who holds the lease now (its name), and until when, in words; empty when nobody does
     * @throws dev.koder.training.api.StorageException when the lease's store cannot be reached
     */
    Optional<String> holder();

    /** Gives the lease up when this instance holds it, so another may take it at once; never throws. */
    void release();

    /**
     * A name for a new instance, unique among those that may share a store: the host, the process id and a random
     * part (a process may create several instances).
     *
     * @return for example {@code gpu-host-3:41872:5f2c9a}
     */
    static String instanceName() {
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            host = "localhost";
        }
        return host + ":" + ProcessHandle.current().pid() + ":" + Integer.toHexString(
                java.util.concurrent.ThreadLocalRandom.current().nextInt(0x100000, 0x1000000));
    }

    /** Releases the lease, if held, and what the lease holds open. */
    @Override
    void close();
}
