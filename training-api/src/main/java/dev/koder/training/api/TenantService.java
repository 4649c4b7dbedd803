package dev.koder.training.api;

import java.util.List;

/**
 * The training service as one tenant sees it: its jobs, checkpoints, files and quota, and nothing of another
 * tenant's. Another tenant's job, checkpoint or file is answered as a missing one; a spec is run as this tenant at
 * its tier, whatever tenant it names, with its base model checked by the service's model policy.
 *
 * <pre>{@code
 * TenantService acme = training.tenant("acme", Tier.PRO);
 * Job job = acme.jobs().submit(spec);
 * }</pre>
 */
public interface TenantService {

    /** @return the tenant */
    String tenant();

    /** @return the tier its jobs run at */
    Tier tier();

    /** @return this tenant's jobs */
    Jobs jobs();

    /** @return this tenant's checkpoints */
    Checkpoints checkpoints();

    /** @return this tenant's uploaded files */
    Uploads files();

    /** @return this tenant's GPU-hour budget, reservations and use this month */
    Quotas.QuotaUsage quota();

    /**
     * @param spec a spec, as this tenant
     * @return what it would cost, calibrated by this tenant's own finished jobs only
     * @throws InvalidSpecException when the spec cannot run, or its model is not this tenant's to use
     */
    CostEstimate estimate(JobSpec spec);

    /** @param spec a spec, as this tenant @return every check a submitted job would go through */
    ValidationReport validate(JobSpec spec);

    /** @param limit most jobs @return how far this tenant's estimates were from what its jobs measured */
    EstimateHistory estimateHistory(int limit);

    /**
     * @return the models this tenant may name as a base model, by those names, sorted by name: the hub ids in the
     *     service's Hugging Face cache, the model folders of the operator's model roots, and the outputs of this
     *     tenant's own jobs by their {@code ft:} names (absolute folders a tenant may also name are not listed)
     */
    List<AvailableModel> models();

    /**
     * @param job one of this tenant's jobs
     * @return its output's OpenAI-style name ({@code ft:BASE:TENANT:SUFFIX:JOB}), usable as the base model of a
     *     new job of this tenant
     */
    String fineTunedModel(Job job);

    /** @param job one of this tenant's jobs @param step a checkpoint's step @return the checkpoint's name */
    String checkpointModel(Job job, long step);

    /**
     * @param baseModel a stored spec's base model
     * @return the name this tenant is shown: a hub id, a model root's relative name, or the {@code ft:} name of
     *     the checkpoint a job continues from; never a server path
     */
    String publicModel(String baseModel);
}
