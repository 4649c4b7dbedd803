package dev.koder.training.spi;

import dev.koder.training.api.AdapterType;
import dev.koder.training.api.Objective;
import dev.koder.training.api.TrainingMethod;

/**
 * An objective x adapter pair a runner can train.
 *
 * @param objective SFT, DPO, embedding or reranker
 * @param adapter full, LoRA or QLoRA
 */
public record MethodKind(Objective objective, AdapterType adapter) {

    /** @param method a method @return its kind */
    public static MethodKind of(TrainingMethod method) {
        return new MethodKind(method.objective(), method.adapter());
    }

    /** @return every objective with every adapter: what a runner that trains everything declares */
    public static java.util.Set<MethodKind> all() {
        java.util.Set<MethodKind> all = new java.util.LinkedHashSet<>();
        for (Objective o : Objective.values()) {
            for (AdapterType a : AdapterType.values()) {
                all.add(new MethodKind(o, a));
            }
        }
        return java.util.Set.copyOf(all);
    }

    /** @return SFT and DPO with every adapter: what a runner of causal language models that trains them all declares */
    public static java.util.Set<MethodKind> languageModels() {
        java.util.Set<MethodKind> out = new java.util.LinkedHashSet<>();
        for (MethodKind k : all()) {
            if (k.objective().languageModel()) {
                out.add(k);
            }
        }
        return java.util.Set.copyOf(out);
    }

    /** @return for example {@code sft+lora} */
    @Override
    public String toString() {
        return objective.wireName() + "+" + adapter.wireName();
    }
}
