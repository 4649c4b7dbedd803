package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Low-rank adapter settings. Any part left null takes its default when the {@link JobSpec} is built; the
 * values are checked then too, together with the rest of the spec.
 *
 * @param rank rank r of the update matrices, 1 to 1024; default 16
 * @param alpha scaling numerator (the update is scaled by alpha / rank), 1 to 4096; default 2 x rank
 * @param dropout dropout on the adapter input, at least 0 and less than 1; default 0.05
 * @param targetModules module names to adapt, or the single entry {@value #ALL_LINEAR} for every linear
 *     layer but the output head; default {@code ["all-linear"]}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record LoraConfig(
        @JsonProperty("rank") Integer rank,
        @JsonProperty("alpha") Integer alpha,
        @JsonProperty("dropout") Double dropout,
        @JsonProperty("target_modules") List<String> targetModules) {

    /** Target every linear layer except the output head. */
    public static final String ALL_LINEAR = "all-linear";
    /** Largest accepted rank. */
    public static final int MAX_RANK = 1024;
    /** Largest accepted alpha. */
    public static final int MAX_ALPHA = 4096;
    /** Most target module entries. */
    public static final int MAX_TARGET_MODULES = 64;
    static final Pattern MODULE_NAME = Pattern.compile("[A-Za-z0-9_.*-]{1,128}");

    /** Copies the module list so the record stays immutable. */
    public LoraConfig {
        targetModules = targetModules == null ? null : List.copyOf(targetModules);
    }

    /** @return a builder with every value unset (defaults apply) */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the defaults: rank 16, alpha 32, dropout 0.05, all-linear */
    public static LoraConfig defaults() {
        return new LoraConfig(null, null, null, null).resolved();
    }

    LoraConfig resolved() {
        int r = rank == null ? 16 : rank;
        return new LoraConfig(r, alpha == null ? 2 * r : alpha, dropout == null ? 0.05 : dropout,
                targetModules == null ? List.of(ALL_LINEAR) : targetModules);
    }

    void check(Checks c, String at) {
        c.between(Checks.at(at, "rank"), rank, 1, MAX_RANK);
        c.between(Checks.at(at, "alpha"), alpha, 1, MAX_ALPHA);
        c.between(Checks.at(at, "dropout"), dropout, 0, false, 1, true);
        if (targetModules == null) {
            return;
        }
        String modules = Checks.at(at, "target_modules");
        if (targetModules.isEmpty() || targetModules.size() > MAX_TARGET_MODULES) {
            c.add(modules, "must list between 1 and " + MAX_TARGET_MODULES + " modules, got "
                    + targetModules.size());
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < targetModules.size(); i++) {
            String name = targetModules.get(i);
            String item = modules + "/" + i;
            if (!c.required(item, name)) {
                continue;
            }
            c.matches(item, name, MODULE_NAME,
                    "a module name of 1-128 letters, digits, '_', '.', '*' or '-'");
            if (!seen.add(name)) {
                c.add(item, "duplicate module " + Checks.quote(name));
            }
        }
        if (targetModules.contains(ALL_LINEAR) && targetModules.size() > 1) {
            c.add(modules, "\"" + ALL_LINEAR + "\" must be the only entry");
        }
    }

    /** Builder of {@link LoraConfig}; unset values take their defaults. */
    public static final class Builder {
        private Integer rank;
        private Integer alpha;
        private Double dropout;
        private List<String> targetModules;

        private Builder() {
        }

        /** @param rank rank r, 1 to 1024 @return this */
        public Builder rank(int rank) {
            this.rank = rank;
            return this;
        }

        /** @param alpha scaling numerator, 1 to 4096 @return this */
        public Builder alpha(int alpha) {
            this.alpha = alpha;
            return this;
        }

        /** @param dropout adapter dropout, 0 to below 1 @return this */
        public Builder dropout(double dropout) {
            this.dropout = dropout;
            return this;
        }

        /** @param modules module names, or "all-linear" @return this */
        public Builder targetModules(String... modules) {
            this.targetModules = List.of(modules);
            return this;
        }

        /** @param modules module names, or "all-linear" @return this */
        public Builder targetModules(List<String> modules) {
            this.targetModules = modules;
            return this;
        }

        /** @return the settings; checked when the job spec is built */
        public LoraConfig build() {
            return new LoraConfig(rank, alpha, dropout, targetModules);
        }
    }
}
