package dev.koder.training.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * How far estimates were from what finished jobs measured, grouped by method and device: for each figure, the
 * median and the spread (10th and 90th percentile) of measured / estimated. A median wall-time ratio of 1.3
 * means jobs of that kind took 30% longer than estimated.
 *
 * @param groups one row per method and device, most jobs first
 */
public record EstimateHistory(@JsonProperty("groups") List<Group> groups) {

    /** Copies the list so the record stays immutable. */
    public EstimateHistory {
        groups = List.copyOf(groups);
    }

    /**
     * The error distribution of one kind of job.
     *
     * @param method the method label
     * @param device the device
     * @param jobs finished jobs compared
     * @param wall measured / estimated wall time
     * @param throughput measured / estimated tokens/s, over the jobs that reported it
     * @param memory measured / estimated peak memory, over the jobs that measured it (GPU jobs)
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Group(@JsonProperty("method") String method, @JsonProperty("device") String device,
            @JsonProperty("jobs") int jobs, @JsonProperty("wall") Spread wall,
            @JsonProperty("throughput") Spread throughput, @JsonProperty("memory") Spread memory) {
    }

    /**
     * A distribution of ratios.
     *
     * @param n how many
     * @param p10 10th percentile
     * @param median median
     * @param p90 90th percentile
     * @param min smallest
     * @param max largest
     */
    public record Spread(@JsonProperty("n") int n, @JsonProperty("p10") double p10,
            @JsonProperty("median") double median, @JsonProperty("p90") double p90, @JsonProperty("min") double min,
            @JsonProperty("max") double max) {

        /** @param values ratios @return their spread, or null when there are none */
        public static Spread of(List<Double> values) {
            if (values.isEmpty()) {
                return null;
            }
            List<Double> v = new ArrayList<>(values);
            Collections.sort(v);
            return new Spread(v.size(), at(v, 0.1), at(v, 0.5), at(v, 0.9), v.get(0), v.get(v.size() - 1));
        }

        private static double at(List<Double> sorted, double q) {
            double pos = q * (sorted.size() - 1);
            int lo = (int) Math.floor(pos);
            int hi = (int) Math.ceil(pos);
            return sorted.get(lo) + (sorted.get(hi) - sorted.get(lo)) * (pos - lo);
        }
    }

    /** @param checks finished jobs' checks @return their history by method and device */
    public static EstimateHistory of(List<EstimateCheck> checks) {
        Map<String, List<EstimateCheck>> byKind = new LinkedHashMap<>();
        for (EstimateCheck c : checks) {
            byKind.computeIfAbsent(c.method() + "\u0000" + c.device(), k -> new ArrayList<>()).add(c);
        }
        List<Group> groups = new ArrayList<>();
        byKind.forEach((k, list) -> groups.add(new Group(list.get(0).method(), list.get(0).device(), list.size(),
                Spread.of(values(list, c -> Optional.of(c.wallRatio()))), Spread.of(values(list,
                        EstimateCheck::throughputRatio)), Spread.of(values(list, EstimateCheck::memoryRatio)))));
        groups.sort((a, b) -> Integer.compare(b.jobs(), a.jobs()));
        return new EstimateHistory(groups);
    }

    private static List<Double> values(List<EstimateCheck> list, Function<EstimateCheck, Optional<Double>> f) {
        List<Double> out = new ArrayList<>();
        for (EstimateCheck c : list) {
            f.apply(c).ifPresent(out::add);
        }
        return out;
    }
}
