package dev.koder.training.core;

import dev.koder.training.api.EventLevel;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobStatus;
import dev.koder.training.spi.Executor;
import dev.koder.training.spi.JobStore;
import dev.koder.training.spi.JobUpdate;
import dev.koder.training.spi.NewEvent;
import dev.koder.training.spi.TrainingRunner;
import dev.koder.training.spi.Updated;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;

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

    Engine(JobStore store, EventBus bus, Clock clock, Settings settings, Plugins<TrainingRunner> runners,
            Plugins<Executor> executors, Path jobsDir, ScheduledExecutorService scheduler) {
        this.store = store;
        this.bus = bus;
        this.clock = clock;
        this.settings = settings;
        this.runners = runners;
        this.executors = executors;
        this.jobsDir = jobsDir;
        this.scheduler = scheduler;
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
    TrainingRunner runnerFor(dev.koder.training.api.JobSpec spec) {
        return spec.runner().map(runners::named).orElseGet(runners::chosen);
    }

    Path workdir(String jobId) {
        return jobsDir.resolve(jobId);
    }
}
