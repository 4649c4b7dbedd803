package dev.koder.training.benchmarks;

import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.Hyperparameters;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Resources;
import dev.koder.training.api.TrainingMethod;
import dev.koder.training.core.Training;
import dev.koder.training.spi.LaunchPlan;
import dev.koder.training.spi.PluginConfig;
import dev.koder.training.spi.RunContext;
import dev.koder.training.trl.TrlRunner;
import dev.koder.training.trl.TrlTools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What the SDK adds to a training run: the same tiny LoRA SFT run through the service (submit to succeeded:
 * validation, queueing, launch, event tailing, bookkeeping) and by running the command the runner prepared,
 * by hand. Alternates the two, several rounds, and prints each time and the medians.
 *
 * <pre>
 * java -cp "benchmarks/target/benchmarks.jar:$(cat benchmarks/target/classpath.txt)" \
 *     dev.koder.training.benchmarks.SdkOverhead examples/data 5
 * </pre>
 */
public final class SdkOverhead {

    private SdkOverhead() {
    }

    /**
     * @param args the examples data folder, the number of rounds
     * @throws Exception on any failure
     */
    public static void main(String[] args) throws Exception {
        Path data = Path.of(args[0]).toAbsolutePath();
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Path dir = Files.createTempDirectory("overhead");
        TrlRunner runner = new TrlRunner(new PluginConfig(dir, Map.of()));
        runner.python().environment(line -> System.out.println("python: " + line));
        Path model = new TrlTools(runner).tinyModel(dir.resolve("tiny"), List.of(data.resolve("shout-train.jsonl")), 128,
                dir.resolve("work"), line -> { });
        JobSpec spec = JobSpec.builder().name("overhead").tenant("bench").baseModel(model.toString()).runner("trl")
                .method(TrainingMethod.sftLora())
                .hyperparameters(Hyperparameters.builder().maxSteps(50).learningRate(2e-3).microBatchSize(16)
                        .maxSeqLength(64).gradientCheckpointing(false).build())
                .trainingData(DatasetRef.of(data.resolve("shout-train.jsonl"), DatasetFormat.CHAT))
                .resources(Resources.cpu()).build();
        List<Double> sdk = new ArrayList<>();
        List<Double> byHand = new ArrayList<>();
        try (Training training = Training.builder().home(dir.resolve("home")).runner(runner).build()) {
            for (int round = 0; round < rounds; round++) {
                long t0 = System.nanoTime();
                Job job = training.jobs().await(training.jobs().submit(spec).id(), Duration.ofMinutes(10));
                double s = (System.nanoTime() - t0) / 1e9;
                if (job.status() != JobStatus.SUCCEEDED) {
                    throw new IllegalStateException("job " + job.id() + " " + job.status().wireName());
                }
                sdk.add(s);

                Path work = dir.resolve("by-hand-" + round);
                Files.createDirectories(work.resolve("output"));
                RunContext ctx = new RunContext("by-hand", 1, work, work.resolve("events.jsonl"), work.resolve("output"),
                        work.resolve("stdout.log"), work.resolve("stderr.log"), Optional.empty(), List.of(), m -> { });
                LaunchPlan plan = runner.prepare(spec, ctx);
                ProcessBuilder pb = new ProcessBuilder(plan.command()).directory(work.toFile())
                        .redirectOutput(plan.stdout().toFile()).redirectError(plan.stderr().toFile());
                pb.environment().putAll(plan.env());
                long t1 = System.nanoTime();
                int code = pb.start().waitFor();
                double h = (System.nanoTime() - t1) / 1e9;
                if (code != 0) {
                    throw new IllegalStateException("by-hand run exited " + code + "; see " + plan.stderr());
                }
                byHand.add(h);
                System.out.printf(Locale.ROOT, "round %d: sdk %.2f s, by hand %.2f s%n", round + 1, s, h);
            }
        }
        double ms = median(sdk);
        double mh = median(byHand);
        System.out.printf(Locale.ROOT, "median over %d rounds: sdk %.2f s, by hand %.2f s, the SDK adds %.2f s "
                + "(ratio %.2f)%n", rounds, ms, mh, ms - mh, ms / mh);
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
