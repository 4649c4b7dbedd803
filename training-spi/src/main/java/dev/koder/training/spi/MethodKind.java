package dev.koder.training.spi;

import dev.koder.training.api.AdapterType;
import dev.koder.training.api.Objective;
import dev.koder.training.api.TrainingMethod;

/**
 * An objective x adapter pair a runner can train.
 *
 * @param objective SFT or DPO
 * @param adapter full, LoRA or QLoRA
 */
public record MethodKind(Objective objective, AdapterType adapter) {

    /** @param method a method @return its kind */
    public static MethodKind of(TrainingMethod method) {
        return new MethodKind(method.objective(), method.adapter());
    }

    /** @return for example {@code sft+lora} */
    @Override
    public String toString() {
        return objective.wireName() + "+" + adapter.wireName();
    }
}
