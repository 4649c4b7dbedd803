package dev.koder.training.api;

/**
 * The approval gate refused to approve a checkpoint: one or more rules of the approval policy failed. The
 * message names each failed rule; {@link #verdict()} holds every rule checked. An admin may approve it anyway
 * with {@link Checkpoints#approveOverriding(String, String, String)}, which records the override and its reason.
 */
public class ApprovalRefusedException extends TrainingException {
    private static final long serialVersionUID = 1L;

    private final transient ApprovalVerdict verdict;

    /** @param verdict what the gate decided (not allowed) */
    public ApprovalRefusedException(ApprovalVerdict verdict) {
        super("Checkpoint " + verdict.checkpointId() + " cannot be approved by " + verdict.actor() + ": the approval "
                + "policy refused it (" + verdict.failures() + "). An admin can approve it anyway with a reason "
                + "(override), which the audit trail records.", false);
        this.verdict = verdict;
    }

    /** @return what the gate decided: every rule checked */
    public ApprovalVerdict verdict() {
        return verdict;
    }
}
