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
import dev.koder.training.mlflow.FakeMlflowServer;
import dev.koder.training.tck.ScriptedRunner;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * MLflow tracking of a job that reports 20,000 progress events (the scripted trainer, a real Python process, as
 * fast as it can write them), through a real embedded service to the in-process MLflow stand-in:
 *
 * <ol>
 *   <li>MLflow up: requests sent, CPU time of the sink's sender thread per event, and how long after the job's
 *       end the run is complete in MLflow;</li>
 *   <li>MLflow down for the whole job (503): the events wait in the job store; then MLflow comes back and we time
 *       the replay until the run holds every metric.</li>
 * </ol>
 *
 * <pre>
 * java -cp "benchmarks/target/benchmarks.jar:$(cat benchmarks/target/classpath.txt)" \
 *     dev.koder.training.benchmarks.TrackingThroughput [events]
 * </pre>
 */
public final class TrackingThroughput {

    private TrackingThroughput() {
    }

    public static void main(String[] args) throws Exception {
        int events = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        Path dir = Files.createTempDirectory("tracking-bench");
        Path model = Files.createDirectories(dir.resolve("model"));
        Files.writeString(model.resolve("config.json"), "{\"model_type\":\"llama\"}");
        Path data = dir.resolve("train.jsonl");
        Files.writeString(data, ("{\"messages\":[{\"role\":\"user\",\"content\":\"Reverse abc\"},"
                + "{\"role\":\"assistant\",\"content\":\"cba\"}]}\n").repeat(8));
        JobSpec spec = JobSpec.builder().name("tracked").tenant("bench").baseModel(model.toString()).runner("script")
                .method(TrainingMethod.sftLora())
                .hyperparameters(Hyperparameters.builder().maxSteps(events).maxSeqLength(64).build())
                .trainingData(DatasetRef.of(data, DatasetFormat.CHAT)).resources(Resources.cpu())
                .metadata("fake.step_seconds", "0.0001").build();
        System.out.printf(Locale.ROOT, "a job of %,d progress events (5 figures each), tracked in MLflow%n", events);
        try (FakeMlflowServer up = new FakeMlflowServer()) {
            run("MLflow up", dir.resolve("home-up"), spec, up, false);
        }
        try (FakeMlflowServer down = new FakeMlflowServer()) {
            run("MLflow down during the job, back after it", dir.resolve("home-down"), spec, down, true);
        }
    }

    private static void run(String title, Path home, JobSpec spec, FakeMlflowServer fake, boolean outage)
            throws Exception {
        if (outage) {
            fake.faults((m, p) -> FakeMlflowServer.Fault.UNAVAILABLE);
        }
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        try (Training t = Training.builder().home(home).runner(new ScriptedRunner()).pollInterval(Duration.ofMillis(250))
                .property("training.mlflow.uri", fake.uri()).property("training.mlflow.max-backoff-ms", "1000")
                .build()) {
            long start = System.nanoTime();
            Job done = t.jobs().await(t.jobs().submit(spec).id(), Duration.ofMinutes(10));
            double jobSeconds = (System.nanoTime() - start) / 1e9;
            if (done.status() != JobStatus.SUCCEEDED) {
                throw new IllegalStateException("the job " + done.status().wireName() + ": " + done.failure());
            }
            long stored = t.jobs().events(done.id(), 0, 1).items().isEmpty() ? 0 : countEvents(t, done.id());
            long requestsAtEnd = fake.requests();
            long healed = System.nanoTime();
            if (outage) {
                fake.healthy();
            }
            while (fake.runOfJob(done.id()).map(r -> !r.status.equals("FINISHED")).orElse(true)) {
                Thread.sleep(10);
            }
            double catchUp = (System.nanoTime() - healed) / 1e9;
            String run = fake.runOfJob(done.id()).orElseThrow().id;
            int losses = fake.metrics(run, "loss").size();
            long cpu = 0;
            for (long id : threads.getAllThreadIds()) {
                var info = threads.getThreadInfo(id);
                if (info != null && info.getThreadName().equals("training-mlflow")) {
                    cpu += threads.getThreadCpuTime(id);
                }
            }
            System.out.printf(Locale.ROOT, "%n%s%n", title);
            System.out.printf(Locale.ROOT, "  job: %.1f s, %,d events stored%n", jobSeconds, stored);
            System.out.printf(Locale.ROOT, "  MLflow holds %,d loss points, %,d metric points received twice%n",
                    losses, fake.duplicateMetrics());
            System.out.printf(Locale.ROOT, "  requests: %,d (%,d while the job ran, of which %s refused)%n",
                    fake.requests(), requestsAtEnd, outage ? "all were" : "none");
            System.out.printf(Locale.ROOT, "  sender thread CPU: %.1f ms in all, %.1f us per event%n", cpu / 1e6,
                    cpu / 1e3 / stored);
            System.out.printf(Locale.ROOT, "  %s: %.2f s until the run was complete in MLflow%n",
                    outage ? "replay after MLflow came back" : "after the job ended", catchUp);
        }
    }

    private static long countEvents(Training t, String id) {
        long after = 0;
        long n = 0;
        while (true) {
            var page = t.jobs().events(id, after, 1000);
            n += page.items().size();
            if (page.items().isEmpty() || page.nextCursor() == null) {
                return n;
            }
            after = page.items().get(page.items().size() - 1).seq();
        }
    }
}
