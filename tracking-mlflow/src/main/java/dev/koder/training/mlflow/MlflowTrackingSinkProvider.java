package dev.koder.training.mlflow;

import dev.koder.training.api.Job;
import dev.koder.training.api.JobEvent;
import dev.koder.training.spi.PluginConfig;
import dev.koder.training.spi.TrackingSink;
import dev.koder.training.spi.TrackingSinkProvider;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Finds the MLflow sink through ServiceLoader. It is on when {@code training.mlflow.uri} is set (in
 * {@code <home>/training.properties}, a system property or {@code Training.builder().property}) and off
 * otherwise.
 *
 * <p>Other settings: {@code training.mlflow.experiment} (default {@code training/{tenant}}),
 * {@code training.mlflow.model-name} (default {@code {tenant}.{base_model}}), {@code training.mlflow.ui-uri},
 * {@code training.mlflow.timeout-ms} (10,000), {@code training.mlflow.max-param-length} (6,000: the server's
 * MAX_PARAM_VAL_LENGTH), {@code training.mlflow.flush-ms} (1,000: how often a running job's new events are
 * sent), {@code training.mlflow.max-backoff-ms} (30,000), {@code training.mlflow.outbox.warn-events}
 * (100,000: a warning when more events than this wait to be sent).
 */
public final class MlflowTrackingSinkProvider implements TrackingSinkProvider {

    @Override
    public String name() {
        return "mlflow";
    }

    @Override
    public TrackingSink create(PluginConfig config) {
        return create(config, System.getenv());
    }

    static TrackingSink create(PluginConfig config, Map<String, String> env) {
        Optional<MlflowSettings> settings = MlflowSettings.from(config, env);
        if (settings.isEmpty()) {
            return new Off();
        }
        return new MlflowTrackingSink(settings.get(), millis(config, "training.mlflow.flush-ms", 1000),
                millis(config, "training.mlflow.max-backoff-ms", 30_000), Duration.ofSeconds(5),
                config.positive("training.mlflow.outbox.warn-events", 100_000));
    }

    private static Duration millis(PluginConfig config, String key, long fallback) {
        return Duration.ofMillis(config.positive(key, fallback));
    }

    /** Tracking is off: training.mlflow.uri is not set. */
    static final class Off implements TrackingSink {
        @Override
        public void onEvent(Job job, JobEvent event) {
            // off
        }

        @Override
        public String toString() {
            return "mlflow (off: training.mlflow.uri is not set)";
        }
    }
}
