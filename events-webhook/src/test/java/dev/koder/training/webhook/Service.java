package dev.koder.training.webhook;

import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.Hyperparameters;
import dev.koder.training.api.CheckpointPolicy;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.Resources;
import dev.koder.training.api.Tier;
import dev.koder.training.api.TrainingMethod;
import dev.koder.training.core.Training;
import dev.koder.training.spi.CheckpointEvaluator;
import dev.koder.training.tck.ScriptedRunner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;

/** The service both tests run, in this JVM or in one to kill: scripted jobs, both webhooks on, short backoffs. */
final class Service {

    static final byte[] KEY = "a shared secret of thirty-two by".getBytes(StandardCharsets.UTF_8);
    static final String SECRET = "whsec_" + Base64.getEncoder().encodeToString(KEY);
    static final String CHAT = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\","
            + "\"content\":\"HI\"}]}\n";

    private Service() {
    }

    /** Scripted checkpoints hold no real weights: a fixed score stands in for the scorer, which is not under test. */
    static final CheckpointEvaluator SCORER = new CheckpointEvaluator() {
        @Override
        public boolean supports(DatasetFormat format) {
            return true;
        }

        @Override
        public Result evaluate(Request request, Path work, java.util.function.Consumer<String> lines) {
            return new Result(Map.of("eval_loss", 0.5), Map.of("eval_loss", 2.5), 1, "cpu");
        }
    };

    static Training.Builder builder(Path home, String url) {
        return Training.builder().home(home).property("training.models.roots", home.getParent().toString())
                .property("training.webhook.registry.url", url + "/registry")
                .property("training.webhook.registry.secret", SECRET)
                .property("training.webhook.registry.timeout", "PT1S")
                .property("training.webhook.usage.url", url + "/usage")
                .property("training.webhook.usage.secret", SECRET)
                .property("training.webhook.usage.timeout", "PT1S")
                .property("training.outbox.backoff.first", "PT0.05S")
                .property("training.outbox.backoff.max", "PT0.5S")
                .property("training.outbox.poll", "PT0.2S")
                .runner(new ScriptedRunner("fake", ScriptedRunner.allMethods()).evaluatedBy(SCORER))
                .pollInterval(Duration.ofMillis(50));
    }

    /** A job that saves a checkpoint every other step and keeps them all. */
    static JobSpec job(Path dir, String name, int steps) throws IOException {
        Path model = dir.resolve("model");
        if (!Files.isDirectory(model)) {
            Files.createDirectories(model);
            Files.writeString(model.resolve("config.json"), "{\"model_type\":\"llama\"}");
        }
        Path data = dir.resolve("train.jsonl");
        if (!Files.exists(data)) {
            Files.writeString(data, CHAT.repeat(8));
        }
        return JobSpec.builder().name(name).tenant("acme").tier(Tier.PRO).baseModel(model.toString())
                .method(TrainingMethod.sftLora()).hyperparameters(Hyperparameters.builder().maxSteps(steps).build())
                .checkpoints(CheckpointPolicy.everySteps(2, 100))
                .trainingData(DatasetRef.of(data, DatasetFormat.CHAT)).resources(Resources.cpu())
                .metadata("fake.step_seconds", "0.02").build();
    }
}
