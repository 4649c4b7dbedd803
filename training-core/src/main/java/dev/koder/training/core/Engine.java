package dev.koder.training.core;

import dev.koder.training.api.EventLevel;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.JobStatus;
import dev.koder.training.core.estimate.Estimator;
import dev.koder.training.spi.Executor;
import dev.koder.training.spi.GpuInventory;
import dev.koder.training.spi.GpuNode;
import dev.koder.training.spi.JobScheduler;
import dev.koder.training.spi.JobStore;
import dev.koder.training.spi.JobUpdate;
import dev.koder.training.spi.NewEvent;
import dev.koder.training.spi.QuotaLedger;
import dev.koder.training.spi.TrainingRunner;
import dev.koder.training.spi.Updated;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Function;

/** What the parts of the running service share: the store, the clock, the plugins, the threads. */
final class Engine {

    final JobStore store;
    final EventBus bus;
    final Clock clock;
    final Settings settings;
    final Plugins<TrainingRunner> runners;
    final Plugins<Executor> executors;
    final Path jobsDir;
    final ScheduledExecutorService scheduler;
    final QuotaLedger ledger;
    final Estimator estimator;
    private final JobScheduler jobScheduler;
    private final GpuInventory inventory;
    private final Object schedulerLock = new Object();
    private List<GpuNode> pool = List.of();
    private Instant poolReadAt = Instant.EPOCH;

    Engine(JobStore store, EventBus bus, Clock clock, Settings settings, Plugins<TrainingRunner> runners,
            Plugins<Executor> executors, Path jobsDir, ScheduledExecutorService scheduler, QuotaLedger ledger,
            Estimator estimator, JobScheduler jobScheduler, GpuInventory inventory) {
        this.store = store;
        this.bus = bus;
        this.clock = clock;
        this.settings = settings;
        this.runners = runners;
        this.executors = executors;
        this.jobsDir = jobsDir;
        this.scheduler = scheduler;
        this.ledger = ledger;
        this.estimator = estimator;
        this.jobScheduler = jobScheduler;
        this.inventory = inventory;
    }

    /** Changes a job in the store and hands the new events to listeners and sinks. */
    Optional<Updated> update(String id, JobStatus expected, JobUpdate update, List<NewEvent> events) {
        Optional<Updated> u = store.update(id, expected, update, events);
        u.ifPresent(x -> bus.publish(x.record().job(), x.events()));
        return u;
    }

    /** Moves a job to another status with one status event. */
    Optional<Updated> move(String id, JobStatus from, JobUpdate.Builder update, EventLevel level, String message) {
        JobStatus to = update.build().status();
        return update(id, from, update.build(), List.of(status(from, to, level, message)));
    }

    NewEvent status(JobStatus from, JobStatus to, EventLevel level, String message) {
        return new NewEvent(clock.instant(), level, JobEvent.TYPE_STATUS, message,
                Map.of("from", from.wireName(), "to", to.wireName()));
    }

    NewEvent note(EventLevel level, String message, Map<String, Object> data) {
        return new NewEvent(clock.instant(), level, JobEvent.TYPE_NOTE, message, data);
    }

    /** The spec's runner, or the default one (the {@code training.runner} property, else the best installed). */
    TrainingRunner runnerFor(JobSpec spec) {
        return spec.runner().map(runners::named).orElseGet(runners::chosen);
    }

    Path workdir(String jobId) {
        return jobsDir.resolve(jobId);
    }

    /** @return the GPU pool, read from the inventory at most every few seconds */
    List<GpuNode> pool() {
        synchronized (schedulerLock) {
            Instant now = clock.instant();
            if (Duration.between(poolReadAt, now).compareTo(settings.poolRefresh()) >= 0) {
                pool = inventory == null ? List.of() : inventory.nodes();
                poolReadAt = now;
                jobScheduler.pool(pool, settings.maxConcurrentJobs());
            }
            return pool;
        }
    }

    /** Runs something against the job scheduler, which is not thread-safe, under its lock. */
    <T> T scheduler(Function<JobScheduler, T> work) {
        pool();
        synchronized (schedulerLock) {
            return work.apply(jobScheduler);
        }
    }

    /** @return the inventory's name, or null without one */
    String inventoryName() {
        return inventory == null ? null : inventory.name();
    }
}
