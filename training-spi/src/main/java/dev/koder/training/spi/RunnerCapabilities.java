package dev.koder.training.spi;

import dev.koder.training.api.DatasetFormat;
import java.util.Set;

/**
 * What a runner can do. The service checks a spec against these before it asks the runner's own
 * {@link TrainingRunner#check}, so runners need not repeat these checks.
 *
 * @param methods objective x adapter pairs it trains
 * @param formats dataset formats it reads
 * @param cpu whether it can train on the CPU (resources.gpus = 0)
 * @param resume whether it can resume from its own checkpoints
 * @param tokenMicroSteps whether it cuts SFT and DPO steps into micro-steps by tokens ({@code micro_batch_tokens});
 *     one that does not trains {@code micro_batch_tokens: auto} with {@code micro_batch_size} examples a micro-step,
 *     and is not given a spec with a number there
 */
public record RunnerCapabilities(Set<MethodKind> methods, Set<DatasetFormat> formats, boolean cpu, boolean resume,
        boolean tokenMicroSteps) {

    /** Copies the sets so the record stays immutable. */
    public RunnerCapabilities {
        methods = Set.copyOf(methods);
        formats = Set.copyOf(formats);
    }

    /** A runner that counts micro-steps in examples. */
    public RunnerCapabilities(Set<MethodKind> methods, Set<DatasetFormat> formats, boolean cpu, boolean resume) {
        this(methods, formats, cpu, resume, false);
    }
}
