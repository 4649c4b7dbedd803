package dev.koder.training.core.estimate;

import dev.koder.training.spi.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import tools.jackson.databind.JsonNode;

/**
 * The calibration table: TRL's tokens/s on an H100-class GPU by method and model size, at the reference
 * micro-step (gradient checkpointing on). Points measured with the TRL runner (the GPU sweep) are taken as
 * they are; the plain peft loop's are scaled by TRL's measured speed relative to it. The sweep also gives the
 * fixed cost of a micro-step and the gain without gradient checkpointing.
 */
final class Calibration {

    final String reference;
    final TreeMap<Double, Point> lora = new TreeMap<>();
    final TreeMap<Double, Point> full = new TreeMap<>();
    final TreeMap<Double, Point> dpo = new TreeMap<>();
    final List<JsonNode> sweep = new ArrayList<>();
    String sweepCard;
    double packing;
    String packingSource;
    double qlora;
    final Map<String, Double> noCheckpointing = new java.util.HashMap<>();
    String noCheckpointingSource;
    double referenceTokens;
    double stepOverhead;
    String overheadSource;

    /** A measured point: TRL-equivalent tokens/s, and where it comes from. */
    record Point(double tokensPerSecond, String source) {
    }

    private Calibration(String reference) {
        this.reference = reference;
    }

    private TreeMap<Double, Point> series(String method) {
        return switch (method) {
            case "lora" -> lora;
            case "full" -> full;
            default -> dpo;
        };
    }

    static Calibration load() {
        try (InputStream in = Estimator.class.getResourceAsStream("throughput.json")) {
            JsonNode root = Json.MAPPER.readTree(in);
            Calibration t = new Calibration(root.get("reference_gpu").asString());
            t.referenceTokens = root.get("micro_step_tokens").asDouble();
            double trlSft = root.at("/trl_factor/sft").asDouble();
            double trlDpo = root.at("/trl_factor/dpo").asDouble();
            for (JsonNode row : root.get("rows")) {
                String method = row.get("method").asString();
                double trl = "dpo".equals(method) ? trlDpo : trlSft;
                t.series(method).put(row.get("params_b").asDouble(), new Point(row.get("tokens_per_s").asDouble()
                        * trl, "H100 plain loop x TRL"));
            }
            t.sweepCard = root.get("sweep_card").asString();
            for (JsonNode row : root.get("sweep")) {
                t.sweep.add(row);
                String method = row.get("method").asString();
                double tokens = ("dpo".equals(method) ? 2 : 1) * t.referenceTokens;
                // Points at the reference micro-step, of the reference family, replace the plain loop's.
                if (row.get("grad_ckpt").asBoolean() && row.get("model").asString().startsWith("llama")
                        && Math.abs(row.get("micro_step_tokens").asDouble() / tokens - 1) < 0.02) {
                    t.series(method).put(row.get("params_b").asDouble(), new Point(row.get("tokens_per_s")
                            .asDouble(), t.sweepCard + " TRL runner"));
                }
            }
            t.packing = root.get("packing_without_flash_attention").asDouble();
            t.packingSource = root.get("packing_source").asString();
            t.qlora = root.get("qlora_factor").asDouble();
            root.get("no_gradient_checkpointing_factor").properties()
                    .forEach(e -> t.noCheckpointing.put(e.getKey(), e.getValue().asDouble()));
            t.noCheckpointingSource = root.get("no_gradient_checkpointing_source").asString();
            t.stepOverhead = root.at("/step_overhead/seconds").asDouble();
            t.overheadSource = root.at("/step_overhead/source").asString();
            return t;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The two measured points around a size (both the same one on a measured size; the nearest two beyond). */
    private record Neighbours(Map.Entry<Double, Point> lo, Map.Entry<Double, Point> hi, boolean inside) {
    }

    private Neighbours neighbours(String method, double paramsB) {
        TreeMap<Double, Point> s = series(method);
        var lo = s.floorEntry(paramsB);
        var hi = s.ceilingEntry(paramsB);
        boolean inside = lo != null && hi != null;
        if (lo == null) {
            lo = s.firstEntry();
            hi = s.higherEntry(lo.getKey());
        } else if (hi == null) {
            hi = s.lastEntry();
            lo = s.lowerEntry(hi.getKey());
        }
        return new Neighbours(lo, hi, inside);
    }

    /** Log-log interpolation in parameters; beyond the table, the nearest segment's slope. */
    double interpolate(String method, double paramsB) {
        Neighbours n = neighbours(method, paramsB);
        if (n.lo().getKey().equals(n.hi().getKey())) {
            return n.lo().getValue().tokensPerSecond();
        }
        double x0 = Math.log(n.lo().getKey());
        double x1 = Math.log(n.hi().getKey());
        double y0 = Math.log(n.lo().getValue().tokensPerSecond());
        double y1 = Math.log(n.hi().getValue().tokensPerSecond());
        double y = y0 + (y1 - y0) * (Math.log(paramsB) - x0) / (x1 - x0);
        return Math.exp(y);
    }

    /** @return which measured points {@link #interpolate} used, in words */
    String bracket(String method, double paramsB) {
        Neighbours n = neighbours(method, paramsB);
        if (n.lo().getKey().equals(n.hi().getKey())) {
            return String.format(Locale.ROOT, "the measured point at %.2fB (%,.0f tokens/s, %s)", n.lo().getKey(),
                    n.lo().getValue().tokensPerSecond(), n.lo().getValue().source());
        }
        return String.format(Locale.ROOT, "%s the measured points at %.2fB (%,.0f tokens/s, %s) and %.2fB (%,.0f, "
                + "%s)", n.inside() ? "between" : "extrapolated from", n.lo().getKey(),
                n.lo().getValue().tokensPerSecond(), n.lo().getValue().source(), n.hi().getKey(),
                n.hi().getValue().tokensPerSecond(), n.hi().getValue().source());
    }

    /** @return the fixed cost of a micro-step, at most 90% of a reference step of this many seconds */
    double overhead(double referenceStepSeconds) {
        return Math.min(stepOverhead, 0.9 * referenceStepSeconds);
    }

    /**
     * How fast a micro-step of this many tokens runs relative to the reference one: a micro-step costs a fixed
     * time c plus its tokens at the GPU's saturated rate, which the reference step time gives; few tokens a
     * micro-step leave the GPU waiting on the fixed part.
     *
     * @param tokens tokens of the micro-step on one GPU
     * @param referenceTokens tokens of the reference micro-step
     * @param referenceRate tokens/s at the reference micro-step
     * @return the factor on the reference rate
     */
    double shape(double tokens, double referenceTokens, double referenceRate) {
        double step = referenceTokens / referenceRate;
        double c = overhead(step);
        double saturated = referenceTokens / (step - c);
        return tokens / (c + tokens / saturated) / referenceRate;
    }
}
