package dev.koder.training.core;

import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.Checkpoints;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Page;
import dev.koder.training.api.StorageException;
import dev.koder.training.core.registry.CheckpointRegistry;
import dev.koder.training.spi.JobRecord;
import dev.koder.training.spi.JobStore;
import dev.koder.training.spi.JobUpdate;
import dev.koder.training.spi.TrackingContext;
import dev.koder.training.spi.TrackingState;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/** What a tracking sink sees of the service: the job store, the registry, its own durable state. */
final class ServiceTrackingContext implements TrackingContext {

    private static final int ANNOTATE_ATTEMPTS = 10;

    /** Whether this process runs the jobs now: asked each time, as the worker lease may pass on. */
    private final java.util.function.BooleanSupplier sends;
    private final Path home;
    private final JobStore store;
    private final CheckpointRegistry registry;
    private final TrackingState state;

    ServiceTrackingContext(java.util.function.BooleanSupplier sends, Path home, JobStore store,
            CheckpointRegistry registry, TrackingState state) {
        this.sends = sends;
        this.home = home;
        this.store = store;
        this.registry = registry;
        this.state = state;
    }

    @Override
    public boolean sends() {
        return sends.getAsBoolean();
    }

    @Override
    public Path home() {
        return home;
    }

    @Override
    public Optional<Job> job(String id) {
        return store.find(id).map(JobRecord::job);
    }

    @Override
    public Page<JobEvent> events(String jobId, long afterSeq, int limit) {
        return store.events(jobId, afterSeq, limit);
    }

    @Override
    public List<Job> unfinished() {
        EnumSet<JobStatus> open = Arrays.stream(JobStatus.values()).filter(s -> !s.isTerminal())
                .collect(Collectors.toCollection(() -> EnumSet.noneOf(JobStatus.class)));
        return store.findByStatus(open).stream().map(JobRecord::job).collect(Collectors.toList());
    }

    @Override
    public Checkpoint.Lineage lineage(Job job) {
        try {
            return registry.lineage(job);
        } catch (IOException e) {
            throw new StorageException("Cannot read the data of job " + job.id() + ": " + e.getMessage(), true, e);
        }
    }

    @Override
    public Checkpoints checkpoints() {
        return registry;
    }

    @Override
    public TrackingState state() {
        return state;
    }

    @Override
    public void annotate(String jobId, Map<String, String> entries) {
        // A change that keeps the status; if the job moved on between reading and writing, read it again.
        for (int i = 0; i < ANNOTATE_ATTEMPTS; i++) {
            JobRecord current = store.find(jobId).orElse(null);
            if (current == null) {
                return;
            }
            if (store.update(jobId, current.status(), JobUpdate.builder().tracking(entries).build(), List.of())
                    .isPresent()) {
                return;
            }
        }
        throw new StorageException("Cannot record tracking details on job " + jobId + ": it kept changing", true,
                null);
    }
}
