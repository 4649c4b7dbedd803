package dev.koder.training.api;

import java.util.List;

/**
 * A fine-tuning service, as a host service codes against it: jobs, checkpoints, estimates, quotas, the GPU pool
 * and API keys, unscoped (the operator's view), and {@link #tenant} for one tenant's view. The embedded
 * implementation is {@code dev.koder.training.core.Training}; tests may stand in their own.
 *
 * <pre>{@code
 * try (TrainingService training = Training.builder().home(home).build()) {
 *     CostEstimate cost = training.estimate(spec);
 *     Job done = training.jobs().await(training.jobs().submit(spec).id(), Duration.ofHours(2));
 * }
 * }</pre>
 */
public interface TrainingService extends AutoCloseable {

    /** @return every job of the service */
    Jobs jobs();

    /** @return every checkpoint of the service */
    Checkpoints checkpoints();

    /**
     * @param tenant a tenant name
     * @param tier the tier its jobs run at
     * @return that tenant's view: only its own jobs, checkpoints, files and quota
     */
    TenantService tenant(String tenant, Tier tier);

    /**
     * Runs every check a submitted job would go through, without submitting it.
     *
     * @param spec a spec
     * @return the findings
     */
    ValidationReport validate(JobSpec spec);

    /**
     * @param spec a spec
     * @return what it would cost: tokens, time, GPU-hours, money and memory, with a line per term
     * @throws InvalidSpecException when the spec cannot run
     */
    CostEstimate estimate(JobSpec spec);

    /** @param limit most jobs @return how far estimates were from what finished jobs measured */
    EstimateHistory estimateHistory(int limit);

    /** @return the GPU-hour budgets of tenants and what jobs reserved and used */
    Quotas quotas();

    /** @return the GPU pool as the inventory sees it now: nodes, devices, use */
    List<GpuNode> gpuPool();

    /** @return the tenants and API keys; a key revoked here is refused from the next request on */
    AccessKeys keys();

    /** Stops taking jobs, stops the trainers it runs (they keep checkpoints) and releases resources. */
    @Override
    void close();
}
