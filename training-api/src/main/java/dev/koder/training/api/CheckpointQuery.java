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
        return new CheckpointQuery(null, null, null, null, null, 100);
    }
}
