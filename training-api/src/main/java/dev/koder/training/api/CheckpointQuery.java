package dev.koder.training.api;

/**
 * Which checkpoints to list, newest first. Every criterion is optional.
 *
 * @param tenant only this tenant's
 * @param baseModel only those of this base model
 * @param stage only those in this stage
 * @param jobId only this job's
 * @param after the cursor of the previous page
 * @param limit at most this many, 1 to 1000
 */
public record CheckpointQuery(String tenant, String baseModel, CheckpointStage stage, String jobId, String after,
        int limit) {

    /** Checks the limit. */
    public CheckpointQuery {
        if (limit < 1 || limit > JobQuery.MAX_LIMIT) {
            throw new IllegalArgumentException("limit must be between 1 and " + JobQuery.MAX_LIMIT + ", got " + limit);
        }
    }

    /** @return every checkpoint, 100 a page */
    public static CheckpointQuery all() {
        return builder().build();
    }

    /** @return a builder with no criterion and 100 a page */
    public static Builder builder() {
        return new Builder();
    }

    /** Builder of {@link CheckpointQuery}; every criterion is optional. */
    public static final class Builder {
        private String tenant;
        private String baseModel;
        private CheckpointStage stage;
        private String jobId;
        private String after;
        private int limit = 100;

        private Builder() {
        }

        /** @param tenant only this tenant's @return this */
        public Builder tenant(String tenant) {
            this.tenant = tenant;
            return this;
        }

        /** @param baseModel only those of this base model @return this */
        public Builder baseModel(String baseModel) {
            this.baseModel = baseModel;
            return this;
        }

        /** @param stage only those in this stage @return this */
        public Builder stage(CheckpointStage stage) {
            this.stage = stage;
            return this;
        }

        /** @param jobId only this job's @return this */
        public Builder jobId(String jobId) {
            this.jobId = jobId;
            return this;
        }

        /** @param after the cursor of the previous page @return this */
        public Builder after(String after) {
            this.after = after;
            return this;
        }

        /** @param limit at most this many, 1 to 1000 @return this */
        public Builder limit(int limit) {
            this.limit = limit;
            return this;
        }

        /** @return the query @throws IllegalArgumentException when the limit is out of range */
        public CheckpointQuery build() {
            return new CheckpointQuery(tenant, baseModel, stage, jobId, after, limit);
        }
    }
}
