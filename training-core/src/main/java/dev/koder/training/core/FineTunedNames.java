package dev.koder.training.core;

import dev.koder.training.api.Job;

/**
 * The OpenAI-style names of what a job made: {@code ft:BASE:TENANT:SUFFIX:JOB} for its output and
 * {@code ft:BASE:TENANT:SUFFIX:JOB:ckpt-step-N} for a checkpoint, with BASE as a tenant sees it (a hub id or a
 * model root's relative name, never a server path) and SUFFIX the job's name (empty for the OpenAI server's
 * placeholder name {@value #PLACEHOLDER}). Either name can be the base model of a new job of the same tenant.
 */
final class FineTunedNames {

    /** The name the OpenAI server gives a job created without a suffix. */
    static final String PLACEHOLDER = "ft";

    private FineTunedNames() {
    }

    /**
     * @param job the job
     * @param policy names its base model
     * @param step a checkpoint's step, or null for the job's output
     * @return the name
     */
    static String of(Job job, ModelPolicy policy, Long step) {
        String suffix = PLACEHOLDER.equals(job.spec().name()) ? "" : job.spec().name();
        return "ft:" + policy.publicName(job.spec().baseModel()) + ":" + job.spec().tenant() + ":" + suffix + ":"
                + job.id() + (step == null ? "" : ":ckpt-step-" + step);
    }
}
