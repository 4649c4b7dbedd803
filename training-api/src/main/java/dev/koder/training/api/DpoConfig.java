package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * DPO settings. Unset parts take their defaults when the {@link JobSpec} is built.
 *
 * @param beta strength of the KL penalty towards the reference model, greater than 0 and at most 10;
 *     default 0.1
 * @param lossType the preference loss; default sigmoid
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DpoConfig(@JsonProperty("beta") Double beta, @JsonProperty("loss_type") DpoLoss lossType) {

    /** Largest accepted beta. */
    public static final double MAX_BETA = 10;

    /** @return beta 0.1, sigmoid loss */
    public static DpoConfig defaults() {
        return new DpoConfig(null, null).resolved();
    }

    /**
     * @param beta KL penalty strength
     * @param lossType the loss
     * @return the settings; checked when the job spec is built
     */
    public static DpoConfig of(double beta, DpoLoss lossType) {
        return new DpoConfig(beta, lossType);
    }

    DpoConfig resolved() {
        return new DpoConfig(beta == null ? 0.1 : beta, lossType == null ? DpoLoss.SIGMOID : lossType);
    }

    void check(Checks c, String at) {
        c.between(Checks.at(at, "beta"), beta, 0, true, MAX_BETA, false);
    }
}
