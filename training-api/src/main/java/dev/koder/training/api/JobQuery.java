package dev.koder.training.api;

import java.util.EnumSet;
import java.util.Set;

/**
 * Which jobs to list: newest first, optionally one tenant's, optionally in some statuses, a page at a time.
 *
 * <pre>{@code
 * Page<Job> page = jobs.list(JobQuery.builder().tenant("acme").status(JobStatus.RUNNING).limit(50).build());
 * Page<Job> next = jobs.list(JobQuery.builder().tenant("acme").after(page.nextCursor()).build());
 * }</pre>
 *
 * @param tenant only this tenant's jobs, or all when null
 * @param statuses only jobs in these statuses, or all when empty
 * @param after the cursor of the previous page (a job id), or null for the first page
 * @param limit most jobs per page, 1 to 1000
 */
public record JobQuery(String tenant, Set<JobStatus> statuses, String after, int limit) {

    /** Most jobs per page. */
    public static final int MAX_LIMIT = 1000;

    /** Checks the limit and copies the statuses. */
    public JobQuery {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit must be between 1 and " + MAX_LIMIT + ", got " + limit);
        }
        statuses = statuses == null || statuses.isEmpty() ? Set.of() : Set.copyOf(statuses);
    }

    /** @return every job, first page of 20 */
    public static JobQuery all() {
        return builder().build();
    }

    /** @return a builder listing every job, 20 a page */
    public static Builder builder() {
        return new Builder();
    }

    /** Builder of {@link JobQuery}. */
    public static final class Builder {
        private String tenant;
        private final Set<JobStatus> statuses = EnumSet.noneOf(JobStatus.class);
        private String after;
        private int limit = 20;

        private Builder() {
        }

        /** @param tenant only this tenant's jobs @return this */
        public Builder tenant(String tenant) {
            this.tenant = tenant;
            return this;
        }

        /** @param status also list jobs in this status @return this */
        public Builder status(JobStatus status) {
            this.statuses.add(status);
            return this;
        }

        /** @param cursor the previous page's cursor @return this */
        public Builder after(String cursor) {
            this.after = cursor;
            return this;
        }

        /** @param limit most jobs per page, 1 to 1000 @return this */
        public Builder limit(int limit) {
            if (limit < 1 || limit > MAX_LIMIT) {
                throw new IllegalArgumentException("limit must be between 1 and " + MAX_LIMIT + ", got " + limit);
            }
            this.limit = limit;
            return this;
        }

        /** @return the query */
        public JobQuery build() {
            return new JobQuery(tenant, statuses, after, limit);
        }
    }
}
