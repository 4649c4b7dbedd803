package dev.koder.training.tck;

import dev.koder.training.api.ApprovalVerdict;
import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.CheckpointNotFoundException;
import dev.koder.training.api.CheckpointQuery;
import dev.koder.training.api.Checkpoints;
import dev.koder.training.api.EventLevel;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobProgress;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Page;
import dev.koder.training.spi.TrackingContext;
import dev.koder.training.spi.TrackingState;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongConsumer;

/**
 * A {@link TrackingContext} held in memory, for testing tracking sinks without a service: jobs and their events
 * are added by the test in order, as a service would store them; the registry is empty.
 */
public final class KitTrackingContext implements TrackingContext {

    private final Path home;
    private volatile boolean sends;
    private final Map<String, Job> jobs = new ConcurrentHashMap<>();
    private final Map<String, List<JobEvent>> events = new ConcurrentHashMap<>();
    private final Map<String, String> state = new ConcurrentSkipListMap<>();
    private final Map<String, Map<String, String>> annotations = new ConcurrentHashMap<>();

    /**
     * @param home a folder standing for the service's home
     * @param sends whether the sink should send (the worker process)
     */
    public KitTrackingContext(Path home, boolean sends) {
        this.home = home;
        this.sends = sends;
    }

    /**
     * Stores a job with a status and returns it.
     *
     * @param id job id
     * @param tenant tenant
     * @param status its status
     * @return the job
     */
    public Job job(String id, String tenant, JobStatus status) {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");
        Job j = Job.builder().id(id).spec(Samples.spec(tenant)).status(status).runner("kit").createdAt(now)
                .updatedAt(now).startedAt(now).finishedAt(status.isTerminal() ? now : null).attempt(1)
                .progress(JobProgress.NONE).build();
        jobs.put(id, j);
        events.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>());
        return j;
    }

    /** @param job a job to store as it is (replacing one with its id) @return the job */
    public Job put(Job job) {
        jobs.put(job.id(), job);
        events.computeIfAbsent(job.id(), k -> new CopyOnWriteArrayList<>());
        return job;
    }

    /**
     * Appends an event to a job, numbered after its last one, as a store would.
     *
     * @param jobId the job
     * @param type event type
     * @param data its figures
     * @return the stored event
     */
    public JobEvent append(String jobId, String type, Map<String, Object> data) {
        List<JobEvent> list = events.computeIfAbsent(jobId, k -> new CopyOnWriteArrayList<>());
        JobEvent e = new JobEvent(jobId, list.size() + 1L, Instant.parse("2026-01-01T00:00:00Z").plusSeconds(
                list.size()), EventLevel.INFO, type, type, data);
        list.add(e);
        return e;
    }

    /** @param id a job @param status its new status @return the job after the move, with its status event */
    public Job move(String id, JobStatus status) {
        return move(id, status, null);
    }

    /**
     * @param id a job
     * @param status its new status
     * @param failure why it failed, or null
     * @return the job after the move, with its status event
     */
    public Job move(String id, JobStatus status, dev.koder.training.api.JobFailure failure) {
        Job j = jobs.get(id);
        Job moved = j.toBuilder().status(status).cancelRequested(false).finishedAt(status.isTerminal() ? j.updatedAt()
                : null).failure(failure).queueReason(null).build();
        jobs.put(id, moved);
        append(id, JobEvent.TYPE_STATUS, Map.of("from", j.status().wireName(), "to", status.wireName()));
        return moved;
    }

    /** @param jobId a job @return what sinks recorded on it through {@link #annotate} */
    public Map<String, String> annotations(String jobId) {
        return annotations.getOrDefault(jobId, Map.of());
    }

    @Override
    public boolean sends() {
        return sends;
    }

    /** @param sends whether the sink should send from now on (this process took, or lost, the worker lease) */
    public void sends(boolean sends) {
        this.sends = sends;
    }

    @Override
    public Path home() {
        return home;
    }

    @Override
    public Optional<Job> job(String id) {
        return Optional.ofNullable(jobs.get(id));
    }

    @Override
    public Page<JobEvent> events(String jobId, long afterSeq, int limit) {
        List<JobEvent> all = events.getOrDefault(jobId, List.of());
        List<JobEvent> out = new ArrayList<>();
        for (JobEvent e : all) {
            if (e.seq() > afterSeq && out.size() < limit) {
                out.add(e);
            }
        }
        boolean more = !out.isEmpty() && out.get(out.size() - 1).seq() < all.size();
        return new Page<>(out, more ? Long.toString(out.get(out.size() - 1).seq()) : null);
    }

    @Override
    public List<Job> unfinished() {
        return jobs.values().stream().filter(j -> !j.status().isTerminal()).toList();
    }

    @Override
    public Checkpoint.Lineage lineage(Job job) {
        return new Checkpoint.Lineage("0".repeat(64), Map.of(job.spec().trainingData().path(), "missing"), null, null);
    }

    @Override
    public Checkpoints checkpoints() {
        return new NoCheckpoints();
    }

    @Override
    public TrackingState state() {
        return new TrackingState() {
            @Override
            public Optional<String> get(String key) {
                return Optional.ofNullable(state.get(key));
            }

            @Override
            public void put(String key, String value) {
                state.put(key, value);
            }

            @Override
            public boolean putIfAbsent(String key, String value) {
                return state.putIfAbsent(key, value) == null;
            }

            @Override
            public void delete(String key) {
                state.remove(key);
            }

            @Override
            public Map<String, String> withPrefix(String prefix) {
                Map<String, String> out = new TreeMap<>();
                state.forEach((k, v) -> {
                    if (k.startsWith(prefix)) {
                        out.put(k, v);
                    }
                });
                return out;
            }
        };
    }

    @Override
    public void annotate(String jobId, Map<String, String> entries) {
        annotations.computeIfAbsent(jobId, k -> new ConcurrentHashMap<>()).putAll(entries);
    }

    /** An empty registry. */
    private static final class NoCheckpoints implements Checkpoints {
        @Override
        public Page<Checkpoint> list(CheckpointQuery query) {
            return new Page<>(List.of(), null);
        }

        @Override
        public Checkpoint get(String id) {
            throw new CheckpointNotFoundException(id);
        }

        @Override
        public Checkpoint approve(String id, String actor, String reason) {
            throw new CheckpointNotFoundException(id);
        }

        @Override
        public Checkpoint deprecate(String id, String actor, String reason) {
            throw new CheckpointNotFoundException(id);
        }

        @Override
        public ApprovalVerdict gate(String id, String actor) {
            throw new CheckpointNotFoundException(id);
        }

        @Override
        public Checkpoint approveOverriding(String id, String actor, String reason) {
            throw new CheckpointNotFoundException(id);
        }

        @Override
        public List<Checkpoint.Transition> history(String id) {
            throw new CheckpointNotFoundException(id);
        }

        @Override
        public List<Checkpoint> ancestry(String id) {
            throw new CheckpointNotFoundException(id);
        }

        @Override
        public dev.koder.training.api.Evaluation evaluate(String id, dev.koder.training.api.DatasetRef data,
                String actor, java.util.function.Consumer<String> progress) {
            throw new CheckpointNotFoundException(id);
        }

        @Override
        public List<dev.koder.training.api.Evaluation> evaluations(String id) {
            throw new CheckpointNotFoundException(id);
        }

        @Override
        public Optional<Checkpoint> approved(String tenant, String baseModel) {
            return Optional.empty();
        }

        @Override
        public Path download(String id, Path dir, LongConsumer progress) {
            throw new CheckpointNotFoundException(id);
        }

        @Override
        public List<dev.koder.training.api.CheckpointExport> exports(String id) {
            throw new CheckpointNotFoundException(id);
        }

        @Override
        public dev.koder.training.api.CheckpointExport export(String id, Path dir, boolean merged,
                LongConsumer progress) {
            throw new CheckpointNotFoundException(id);
        }
    }
}
