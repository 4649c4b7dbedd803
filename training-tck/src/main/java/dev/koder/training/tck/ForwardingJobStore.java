package dev.koder.training.tck;

import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobQuery;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Page;
import dev.koder.training.spi.JobRecord;
import dev.koder.training.spi.JobStore;
import dev.koder.training.spi.JobUpdate;
import dev.koder.training.spi.NewEvent;
import dev.koder.training.spi.Updated;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** A job store that passes every call on to another: tests override what they make fail (or crash on). */
public class ForwardingJobStore implements JobStore {

    /** The store the calls go to. */
    protected final JobStore inner;

    /** @param inner the store the calls go to */
    public ForwardingJobStore(JobStore inner) {
        this.inner = inner;
    }

    @Override
    public Optional<Updated> update(String id, JobStatus expected, JobUpdate update, List<NewEvent> events) {
        return inner.update(id, expected, update, events);
    }

    @Override
    public List<JobEvent> insert(JobRecord job, List<NewEvent> events) {
        return inner.insert(job, events);
    }

    @Override
    public Optional<JobRecord> find(String id) {
        return inner.find(id);
    }

    @Override
    public Page<JobRecord> list(JobQuery query) {
        return inner.list(query);
    }

    @Override
    public List<JobRecord> findByStatus(Set<JobStatus> statuses) {
        return inner.findByStatus(statuses);
    }

    @Override
    public List<String> idsByStatus(Set<JobStatus> statuses) {
        return inner.idsByStatus(statuses);
    }

    @Override
    public Page<JobEvent> events(String id, long afterSeq, int limit) {
        return inner.events(id, afterSeq, limit);
    }

    @Override
    public void close() {
        inner.close();
    }
}
