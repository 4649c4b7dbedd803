package dev.koder.training.api;

import java.util.List;

/**
 * The chosen runner cannot do what the spec asks (QLoRA without CUDA, a DPO loss it lacks, ...). Names the
 * runner and, through each violation's pointer, the option. Not retriable; pick another runner or option.
 */
public class UnsupportedFeatureException extends InvalidSpecException {

    private static final long serialVersionUID = 1L;

    private final String runner;

    /**
     * @param runner the runner's name, for example {@code trl}
     * @param violations each unsupported option with a sentence saying why
     */
    public UnsupportedFeatureException(String runner, List<Violation> violations) {
        super("Runner '" + runner + "' cannot run this job", violations);
        this.runner = runner;
    }

    /** @return the name of the runner that refused the spec */
    public String runner() {
        return runner;
    }
}
