package dev.koder.training.python;

import dev.koder.training.api.JobSpec;
import dev.koder.training.api.Violation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A base model that is an adapter checkpoint: a folder with {@code adapter_config.json} and no {@code config.json},
 * as a job continuing a LoRA fine-tune gets (the service copies the checkpoint there).
 */
public final class AdapterBases {

    private AdapterBases() {
    }

    /** @param spec a spec @return whether its base model is an adapter checkpoint */
    public static boolean startsFromAdapter(JobSpec spec) {
        String base = spec.baseModel();
        if (!base.startsWith("/")) {
            return false;
        }
        Path dir = Path.of(base);
        return Files.isRegularFile(dir.resolve("adapter_config.json")) && !Files.isRegularFile(dir.resolve(
                "config.json"));
    }

    /**
     * @param runner the runner's name
     * @param spec a spec
     * @return the refusal of a runner that cannot continue an adapter, when the spec starts from one
     */
    public static Optional<Violation> unsupported(String runner, JobSpec spec) {
        return startsFromAdapter(spec) ? Optional.of(new Violation("/base_model", "runner '" + runner + "' cannot "
                + "continue from an adapter checkpoint; use runner trl, or start from a full checkpoint or the base "
                + "model")) : Optional.empty();
    }
}
