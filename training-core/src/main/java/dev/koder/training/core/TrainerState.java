package dev.koder.training.core;

import dev.koder.training.api.JobEvent;
import dev.koder.training.api.JobProgress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What the trainer of one job has reported so far, built up from its events file. */
final class TrainerState {

    /** The prefix of the base model's figures among the evaluation metrics. */
    static final String BASELINE_PREFIX = JobEvent.BASELINE_METRIC_PREFIX;

    JobProgress progress = JobProgress.NONE;
    String lastCheckpoint;
    long lastCheckpointStep = -1;
    /** When the current attempt's trainer last wrote a checkpoint (its own clock), or null when it wrote none. */
    java.time.Instant checkpointAt;
    /** When a trainer last reported its start (its own clock), or null. */
    java.time.Instant startedAt;
    /** Checkpoints reported since the supervisor last handed them to the registry. */
    final List<Written> written = new ArrayList<>();
    String output;
    /**
     * The output's own step and figures when the trainer chose the best evaluated checkpoint rather than the last
     * step ({@code selected} in its completed event), else null.
     */
    Selected selected;
    boolean completed;
    String errorKind;
    String errorMessage;
    boolean warnedVersion;
    private double firstTime = -1;
    private long firstTokens;
    private double lastTime = -1;
    private long lastTokens;

    TrainerState(JobProgress progress, String lastCheckpoint) {
        this.progress = progress == null ? JobProgress.NONE : progress;
        this.lastCheckpoint = lastCheckpoint;
    }

    /**
     * The checkpoint a trainer chose as its output.
     *
     * @param step its step
     * @param metrics its evaluation's figures, with the metric that decided
     */
    record Selected(long step, Map<String, Double> metrics) {
    }

    /**
     * A checkpoint the trainer reported.
     *
     * @param path its folder
     * @param step the step
     * @param metrics the figures at that step
     */
    record Written(String path, long step, Map<String, Double> metrics) {
    }

    /** @return the latest figures: loss, learning rate, gradient norm, epoch, and the last evaluation's */
    Map<String, Double> metrics() {
        Map<String, Double> m = new LinkedHashMap<>();
        JobProgress p = progress;
        if (p.loss() != null) {
            m.put("loss", p.loss());
        }
        if (p.learningRate() != null) {
            m.put("learning_rate", p.learningRate());
        }
        if (p.gradNorm() != null) {
            m.put("grad_norm", p.gradNorm());
        }
        if (p.epoch() != null) {
            m.put("epoch", p.epoch());
        }
        if (p.evalMetrics() != null) {
            m.putAll(p.evalMetrics());
        }
        return m;
    }

    /** Notes when progress events carried token counts, to work out the average throughput. */
    void timing(double time, Object tokens) {
        if (!(tokens instanceof Number)) {
            return;
        }
        long t = ((Number) tokens).longValue();
        if (firstTime < 0) {
            firstTime = time;
            firstTokens = t;
        }
        lastTime = time;
        lastTokens = t;
    }

    /** @return the progress with tokens/s averaged over the whole run, when two reports allow it */
    JobProgress withAverageThroughput() {
        if (firstTime < 0 || lastTime <= firstTime || lastTokens <= firstTokens) {
            return progress;
        }
        JobProgress p = progress;
        return new JobProgress(p.step(), p.totalSteps(), p.epoch(), p.loss(), p.learningRate(), p.gradNorm(),
                p.tokens(), (lastTokens - firstTokens) / (lastTime - firstTime), p.gpuMemoryGib(), p.evalMetrics());
    }

    void merge(Map<String, Object> e) {
        JobProgress p = progress;
        Map<String, Double> eval = p.evalMetrics();
        if (e.get("metrics") instanceof Map) {
            // The base model's figures (an eval event with "baseline": true) are kept beside every later evaluation's
            // under "base_", so the gain is visible wherever the job's metrics are.
            boolean baseline = Boolean.TRUE.equals(e.get("baseline"));
            Map<String, Double> kept = new LinkedHashMap<>();
            if (eval != null) {
                eval.forEach((k, val) -> {
                    if (k.startsWith(BASELINE_PREFIX) || baseline) {
                        kept.put(k, val);
                    }
                });
            }
            eval = kept;
            for (Map.Entry<?, ?> m : ((Map<?, ?>) e.get("metrics")).entrySet()) {
                if (m.getValue() instanceof Number) {
                    eval.put((baseline ? BASELINE_PREFIX : "") + m.getKey(), ((Number) m.getValue()).doubleValue());
                }
            }
        }
        progress = new JobProgress(
                longOr(e.get("step"), p.step()), longOr(e.get("total_steps"), p.totalSteps()),
                doubleOr(e.get("epoch"), p.epoch()), doubleOr(e.get("loss"), p.loss()),
                doubleOr(e.get("learning_rate"), p.learningRate()), doubleOr(e.get("grad_norm"), p.gradNorm()),
                longOr(e.get("tokens"), p.tokens()), doubleOr(e.get("tokens_per_second"), p.tokensPerSecond()),
                doubleOr(e.get("gpu_memory_gib"), p.gpuMemoryGib()), eval);
    }

    static Long longOr(Object v, Long fallback) {
        return v instanceof Number ? Long.valueOf(((Number) v).longValue()) : fallback;
    }

    static Double doubleOr(Object v, Double fallback) {
        return v instanceof Number ? Double.valueOf(((Number) v).doubleValue()) : fallback;
    }
}
