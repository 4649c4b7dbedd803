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
 */
public record RunnerCapabilities(Set<MethodKind> methods, Set<DatasetFormat> formats, boolean cpu, boolean resume) {

    /** Copies the sets so the record stays immutable. */
    public RunnerCapabilities {
        methods = Set.copyOf(methods);
        formats = Set.copyOf(formats);
    }
}
