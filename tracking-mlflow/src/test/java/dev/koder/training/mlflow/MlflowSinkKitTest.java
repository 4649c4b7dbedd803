package dev.koder.training.mlflow;

import dev.koder.training.spi.PluginConfig;
import dev.koder.training.spi.TrackingSink;
import dev.koder.training.tck.TrackingSinkCompatibilityKit;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** The MLflow sink against the tracking-sink compatibility kit, with the fake server as its destination. */
class MlflowSinkKitTest extends TrackingSinkCompatibilityKit {

    FakeMlflowServer fake;

    @BeforeEach
    void startFake() throws IOException {
        fake = new FakeMlflowServer();
    }

    @AfterEach
    void stopFake() {
        fake.close();
    }

    @Override
    protected TrackingSink createSink() {
        return MlflowTrackingSinkProvider.create(new PluginConfig(home, Map.of("training.mlflow.uri", fake.uri(),
                "training.mlflow.flush-ms", "100", "training.mlflow.max-backoff-ms", "500")), Map.of());
    }

    @Override
    protected List<String> delivered(String jobId) {
        return fake.runOfJob(jobId).map(r -> fake.metrics(r.id, "loss").stream().map(m -> m.step + ":" + m.value)
                .toList()).orElse(List.of());
    }

    @Override
    protected boolean supportsOutage() {
        return true;
    }

    @Override
    protected void outage(boolean down) {
        if (down) {
            fake.faults((m, p) -> FakeMlflowServer.Fault.UNAVAILABLE);
        } else {
            fake.healthy();
        }
    }
}
